"""rea's linter: finds the mistakes that break Restate's durable execution.

Importing this package is cheap and dependency-free (the catalog and config live here and
the runtime and mypy plugin import them); flake8 and libcst are imported only by the
modules that use them.
"""

__version__ = "0.1.0"
