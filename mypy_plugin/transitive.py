"""Transitive findings (the rule specification): handler code calling a function of its own module that
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
from collections import deque

from mypy.nodes import GDEF, AssignmentStmt, CallExpr, Decorator, FuncDef, FuncItem, NameExpr, RefExpr, TypeInfo, Var

from rea_lint.config import ReaConfig
from rea_lint.findings import Finding

from mypy_plugin.index import ModuleIndex

__all__ = ["SameModule", "may_have_chains"]

_SUSPECT_MODULES = frozenset({
    "time", "datetime", "random", "secrets", "uuid", "os", "posix", "io", "_io", "codecs", "pathlib", "shutil",
    "socket", "subprocess", "urllib", "http", "smtplib", "ftplib", "requests", "httpx", "aiohttp", "asyncio",
    "threading", "concurrent", "multiprocessing", "numpy",
})
"""The modules whose functions REA101-103, REA105 and REA108-110 name (a superset, as a pre-filter)."""


def may_have_chains(index: ModuleIndex, module: str, extra_calls: frozenset[str]) -> bool:
    """Could handler code reach a forbidden call through this module's own functions?

    A cheap look over mypy's tree before the linter's analysis is paid for: from each call of
    a function of this module, follow the functions it calls; any call into a module those
    rules name, any method of a module-level object, or any read of `os.environ` says yes.
    A call that constructs a class of the module with a field's `default_factory` says yes too
    (the factory runs in the caller). It over-approximates: the linter's analysis then decides.
    """
    prefix = module + "."
    queue: deque[FuncItem] = deque()
    for call in index.calls_in_functions():  # module-level code is never handler code
        target = _own_function(call, prefix)
        if target is not None:
            queue.append(target)
        elif _own_factory_class(call, prefix):
            return True
    seen: set[int] = set()
    while queue:
        func = queue.popleft()
        if id(func) in seen:
            continue
        seen.add(id(func))
        for f in index.nested(func):
            if id(f) in index.env_readers:
                return True
            for call in index.own_calls(f):
                target = _own_function(call, prefix)
                if target is not None:
                    queue.append(target)
                elif _suspect(call, extra_calls):
                    return True
    return False


def _own_factory_class(call: CallExpr, prefix: str) -> bool:
    """Does the call construct a class of this module that has a field with a `default_factory`
    (its own or a base's)? The constructor runs the factory where it is called."""
    callee = call.callee
    if not isinstance(callee, RefExpr) or not (callee.fullname or "").startswith(prefix):
        return False
    info = callee.node
    if not isinstance(info, TypeInfo):
        return False
    for cls in info.mro:
        if not cls.fullname.startswith(prefix):
            continue
        for stmt in cls.defn.defs.body:
            if isinstance(stmt, AssignmentStmt) and isinstance(stmt.rvalue, CallExpr) and "default_factory" in stmt.rvalue.arg_names:
                return True
    return False


def _own_function(call: CallExpr, prefix: str) -> FuncItem | None:
    callee = call.callee
    if not isinstance(callee, RefExpr) or not (callee.fullname or "").startswith(prefix):
        return None
    node = callee.node
    if isinstance(node, Decorator):
        node = node.func
    return node if isinstance(node, FuncDef) else None


def _suspect(call: CallExpr, extra_calls: frozenset[str]) -> bool:
    callee = call.callee
    if isinstance(callee, RefExpr):
        name = callee.fullname or ""
        if name.split(".", 1)[0] in _SUSPECT_MODULES or name == "builtins.open" or name in extra_calls:
            return True
        if isinstance(callee.node, Var) and callee.node.is_suppressed_import:
            return True  # a library mypy has no types for
    base = getattr(callee, "expr", None)
    while base is not None and not isinstance(base, NameExpr):
        base = getattr(base, "expr", None)
    if not isinstance(base, NameExpr):
        return False
    if (base.fullname or "").split(".", 1)[0] in _SUSPECT_MODULES:
        return True  # `datetime.now()` after `from datetime import datetime`
    # a method of a module-level object (a client, a session) or of an untyped import
    return isinstance(base.node, Var) and (base.kind == GDEF or base.node.is_suppressed_import)


class SameModule:
    """Per plugin instance: findings by file, recomputed when the file changes on disk."""

    def __init__(self, config: ReaConfig) -> None:
        self.config = config
        self._codes: frozenset[str] | None = None
        self._cache: dict[str, tuple[tuple[int, int], list[Finding]]] = {}

    @property
    def codes(self) -> frozenset[str]:
        """The enabled transitive codes. The linter's project analysis is imported here, when a
        module first may have a chain (`may_have_chains`): most runs never need it."""
        if self._codes is None:
            from rea_lint.project import TRANSITIVE_CODES

            self._codes = frozenset(c for c in TRANSITIVE_CODES if self.config.is_enabled(c))
        return self._codes

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
        from rea_lint.model import build_model, is_restate_module
        from rea_lint.names import ImportMap
        from rea_lint.project import package_of, transitive_findings

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
