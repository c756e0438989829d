"""Every rule, one module each: `reaNNN_<name>.py` holds the `Checker` for that code.

Adding a rule means adding its module here (it is discovered), its fixture in fixtures/
and its page in docs/rules/.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from rea_lint.rules.base import Checker

__all__ = ["all_checkers", "Checker"]


@functools.lru_cache(maxsize=1)
def all_checkers() -> dict[str, Checker]:
    """code -> checker instance, for every rule module in this package."""
    found: dict[str, Checker] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("rea"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Checker) and obj.__module__ == module.__name__:
                if getattr(obj, "code", None):
                    if obj.code in found:
                        raise RuntimeError(f"two checkers for {obj.code}")
                    found[obj.code] = obj()
    return dict(sorted(found.items()))
