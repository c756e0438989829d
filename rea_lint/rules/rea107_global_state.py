"""REA107 global-state: module globals live in one process; replays and replicas disagree."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, Model, call_name, source_text
from rea_lint.rules.base import Checker, method_calls

_HEADER = "import restate\nobj = restate.VirtualObject('o')\n"

MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "sort",
        "reverse",
        "appendleft",
        "extendleft",
        "popleft",
        "rotate",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "__setitem__",
        "__delitem__",
    }
)


_WRITES = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)
"""The statements that may write a global (read a type at a time: no combined list made)."""


class GlobalState(Checker):
    code = "REA107"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        declared: dict[int, set[str]] = {}
        for stmts, fn in model.handler_segments(ast.Global):
            for stmt in stmts:
                declared.setdefault(id(fn), set()).update(stmt.names)
        writes_global = self._writes_global
        assign, name = ast.Assign, ast.Name
        for kind in _WRITES:  # type by type, each a function at a time: `handler_nodes`' order
            for stmts, fn in model.handler_segments(kind):  # type: ignore[assignment]
                for stmt in stmts:
                    if kind is assign:
                        targets = stmt.targets  # type: ignore[attr-defined]
                        if not declared and len(targets) == 1 and type(targets[0]) is name:
                            continue  # the common case: `x = ...`, a local
                    elif kind is ast.AnnAssign and stmt.value is None:  # type: ignore[attr-defined]
                        continue  # `x: int` binds nothing
                    else:
                        targets = stmt.targets if kind is ast.Delete else (stmt.target,)  # type: ignore[attr-defined]
                    for t in targets:
                        if type(t) is name and not declared:  # the common case: a local
                            continue
                        if writes_global(model, t, fn, declared):
                            yield self.report(stmt, subject=source_text(stmt), ctx=fn.context_name())
                            break
        for call, fn in method_calls(model, model.handler_nodes, MUTATING_METHODS):
            root = _root(call.func.value)  # type: ignore[attr-defined]
            if root is not None and _is_container(model, root) and _is_global(model, root, fn, declared):
                yield self.report(call, subject=call_name(call), ctx=fn.context_name())

    @staticmethod
    def _writes_global(model: Model, target: ast.expr, fn: Function, declared: dict[int, set[str]]) -> bool:
        if isinstance(target, (ast.Tuple, ast.List)):
            return any(GlobalState._writes_global(model, t, fn, declared) for t in target.elts)
        if isinstance(target, ast.Starred):
            return GlobalState._writes_global(model, target.value, fn, declared)
        if isinstance(target, ast.Name):  # rebinding: only with `global`
            return target.id in declared.get(id(fn), ())
        if isinstance(target, (ast.Subscript, ast.Attribute)):  # CACHE[k] = v, STATS.hits += 1
            root = _root(target.value)
            return root is not None and _is_global(model, root, fn, declared)
        return False

    invalid = (
        _HEADER + "COUNT = 0\n@obj.handler()\nasync def h(ctx: restate.ObjectContext):\n    global COUNT\n    COUNT += 1\n",
        _HEADER + "CACHE = {}\n@obj.handler()\nasync def h(ctx: restate.ObjectContext, k: str):\n    CACHE[k] = await ctx.get(k)\n",
        _HEADER + "SEEN = []\n@obj.handler()\nasync def h(ctx: restate.ObjectContext, k: str):\n    SEEN.append(k)\n",
    )
    valid = (
        _HEADER + "import sqlalchemy as sa\nusers = sa.Table('users', sa.MetaData())\n@obj.handler()\n"
        "async def h(ctx: restate.ObjectContext):\n    return str(users.insert())\n",
        _HEADER + "LIMIT = 10\n@obj.handler()\nasync def h(ctx: restate.ObjectContext):\n    return LIMIT * 2\n",
        _HEADER + "CACHE = {}\n@obj.handler()\nasync def h(ctx: restate.ObjectContext, k: str):\n"
        "    CACHE = {}\n    CACHE[k] = 1\n    return CACHE\n",
        _HEADER + "SEEN = []\ndef remember(k):\n    SEEN.append(k)\n",
    )


def _root(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


_CONTAINER_NODES = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)

CONTAINER_FACTORIES = frozenset(
    {
        "builtins.list",
        "builtins.dict",
        "builtins.set",
        "builtins.bytearray",
        "builtins.dict.fromkeys",
        "collections.deque",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.ChainMap",
        "weakref.WeakSet",
        "weakref.WeakValueDictionary",
        "weakref.WeakKeyDictionary",
        "array.array",
    }
)


def _is_container(model: Model, name: str) -> bool:
    """Is ``name`` bound once at module level to a container (a literal, a comprehension or a
    stdlib container constructor)? Only then is `.add/.update/.pop/...` surely a mutation:
    the same method names on other objects build queries (`users.insert()`) or record metrics
    (`counter.add(1)`)."""
    value = model.module_values.get(name)
    if isinstance(value, _CONTAINER_NODES):
        return True
    return isinstance(value, ast.Call) and model.qualify(value.func) in CONTAINER_FACTORIES


def _is_global(model: Model, name: str, fn: Function, declared: dict[int, set[str]]) -> bool:
    """A module-level variable (not a def, class or import) that ``fn`` does not shadow."""
    scope: Function | None = fn
    while scope is not None:
        if name in declared.get(id(scope), ()):
            return name in model.module_values or name not in model.imports.names
        if name in scope.local_names:
            return False
        scope = scope.parent
    return name in model.module_values and name not in model.imports.names
