"""The flake8 entry point (`REA`): rea's rules on the tree flake8 already parsed.

flake8 never reads pyproject.toml, so the checker loads `[tool.rea]` itself, lazily and
once per directory per process (with `-j`, each worker does it once).
"""

from __future__ import annotations

import ast
from typing import Any, Iterator, Sequence

from rea_lint import __version__
from rea_lint.config import ConfigError, ReaConfig, load_config
from rea_lint.engine import check_tree, mentions_restate

__all__ = ["ReaChecker"]


class ReaChecker:
    name = "rea"
    version = __version__
    _explicit: frozenset[str] = frozenset()
    """Codes named exactly in flake8's --select/--extend-select: opt-in rules turn on."""

    def __init__(self, tree: ast.Module, filename: str = "stdin", lines: Sequence[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, options: Any) -> None:
        named: set[str] = set()
        for attr in ("select", "extend_select", "enable_extensions"):
            for code in getattr(options, attr, None) or ():
                if isinstance(code, str) and code.startswith("REA") and len(code) == 6:
                    named.add(code)
        cls._explicit = frozenset(named)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            config = load_config(self.filename if self.filename not in ("stdin", "-") else ".")
        except ConfigError as err:
            yield 1, 0, f"REA000 invalid rea configuration: {err}", type(self)
            return
        if self.lines is not None and not mentions_restate(self.lines, config):
            return
        codes = self._codes(config)
        for f in check_tree(self.tree, config, codes):
            yield f.line, f.col, f.message, type(self)

    def _codes(self, config: ReaConfig) -> frozenset[str]:
        return config.enabled_codes() | self._explicit
