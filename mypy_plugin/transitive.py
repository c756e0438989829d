"""Transitive findings (RULES.md): handler code calling a function of its own module that
reads the clock, draws randomness, sleeps, does I/O, reads the environment or starts a thread.

The chain is the linter's (`rea_lint.project`), read from the module's source with `ast`
exactly as flake8 does, so both tools name the same chain at the same call site. It depends
only on the module's own text, so mypy's cache and the daemon stay exact: a change to the
module makes mypy re-check it. Chains into other modules are `rea check`'s (it sees the
whole project at once).
"""

from __future__ import annotations

import ast
import os

from rea_lint.config import ReaConfig
from rea_lint.findings import Finding
from rea_lint.model import build_model, is_restate_module
from rea_lint.names import ImportMap
from rea_lint.project import TRANSITIVE_CODES, package_of, transitive_findings

__all__ = ["SameModule"]


class SameModule:
    """Per plugin instance: findings by file, recomputed when the file changes on disk."""

    def __init__(self, config: ReaConfig) -> None:
        self.config = config
        self.codes = frozenset(c for c in TRANSITIVE_CODES if config.is_enabled(c))
        self._cache: dict[str, tuple[tuple[int, int], list[Finding]]] = {}

    def findings(self, path: str, module: str) -> list[Finding]:
        if not self.codes or not path.endswith(".py"):
            return []
        try:
            st = os.stat(path)
        except OSError:
            return []  # source given as text (`mypy -c`): no file to read the chain from
        stamp = (st.st_mtime_ns, st.st_size)
        hit = self._cache.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        found = self._compute(path, module)
        self._cache[path] = (stamp, found)
        return found

    def _compute(self, path: str, module: str) -> list[Finding]:
        try:
            with open(path, "rb") as fh:
                tree = ast.parse(fh.read(), filename=path)
            imports = ImportMap.from_tree(tree, package_of(module, path))
            if not is_restate_module(imports, self.config):
                return []
            model = build_model(tree, self.config, imports)
            return transitive_findings(model, self.codes, module, path)
        except (OSError, SyntaxError, ValueError, RecursionError):
            return []  # mypy reports what it cannot parse; there is no chain to follow
