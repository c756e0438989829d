"""REA104 unordered-iteration: set order is salted per process, so journaled calls reorder."""

from __future__ import annotations

import ast
from typing import Iterator, Sequence

from rea_lint.findings import Finding
from rea_lint.model import Function, Model, source_text
from rea_lint.rules.base import Checker

_HEADER = "import restate\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context, ids: list):\n"

_SET_FACTORIES = frozenset({"builtins.set", "builtins.frozenset"})
_SET_METHODS = frozenset({"union", "intersection", "difference", "symmetric_difference", "copy"})
_SET_TYPES = frozenset(
    {"builtins.set", "builtins.frozenset", "typing.Set", "typing.FrozenSet", "typing.AbstractSet",
     "collections.abc.Set", "collections.abc.MutableSet"}
)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class UnorderedIteration(Checker):
    code = "REA104"

    def check(self, model: Model) -> Iterator[Finding]:
        sets: _SetNames | None = None
        loops: list[tuple[ast.expr, Sequence[ast.AST], Function]] = []
        for loop, fn in model.handler_nodes(ast.For, ast.AsyncFor):
            loops.append((loop.iter, loop.body, fn))
        for comp, fn in model.handler_nodes(*_COMPREHENSIONS):
            body: list[ast.AST] = [comp.key, comp.value] if isinstance(comp, ast.DictComp) else [comp.elt]
            for i, gen in enumerate(comp.generators):
                loops.append((gen.iter, [*body, *gen.ifs, *comp.generators[i + 1 :]], fn))
        for iterable, body, fn in loops:
            if not fn.contexts:
                continue
            if sets is None:
                sets = _SetNames(model)
            if sets.is_set(iterable, fn) and model.contains_restate_operation(body, fn):
                yield self.report(iterable, subject=source_text(iterable), ctx=fn.context_name(), data=iterable)

    invalid = (
        _HEADER + "    for i in set(ids):\n        await ctx.service_call(charge, i)\n",
        _HEADER + "    pending = {'a', 'b'}\n    for k in pending:\n        ctx.clear(k)\n",
        _HEADER + "    return [ctx.service_call(charge, i) for i in frozenset(ids)]\n",
    )
    valid = (
        _HEADER + "    for i in sorted(set(ids)):\n        await ctx.service_call(charge, i)\n",
        _HEADER + "    for i in set(ids):\n        print(i)\n",
        _HEADER + "    for i in ids:\n        await ctx.service_call(charge, i)\n",
    )


class _SetNames:
    """Which names in handler code hold a set: every assignment to them makes one."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._values: dict[tuple[int, str], list[ast.expr | None]] | None = None

    @property
    def values(self) -> dict[tuple[int, str], list[ast.expr | None]]:
        """Built on the first loop over a plain name: most loops iterate calls or attributes."""
        if self._values is not None:
            return self._values
        model = self.model
        self._values = {}
        for stmt, fn in model.handler_nodes(ast.Assign, ast.AnnAssign, ast.AugAssign):
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            else:
                targets, value = [stmt.target], stmt.value
                if isinstance(stmt, ast.AugAssign):
                    value = None if not isinstance(stmt.op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)) else stmt.target
            for t in targets:
                if isinstance(t, ast.Name):
                    self._values.setdefault((id(fn), t.id), []).append(value)
                elif isinstance(t, (ast.Tuple, ast.List)):
                    for elt in ast.walk(t):
                        if isinstance(elt, ast.Name):
                            self._values.setdefault((id(fn), elt.id), []).append(None)
        return self._values

    def is_set(self, node: ast.expr, fn: Function, depth: int = 0) -> bool:
        if depth > 8:
            return False
        if isinstance(node, (ast.Set, ast.SetComp)):
            return True
        if isinstance(node, ast.Call):
            if self.model.call_target(node, fn) in _SET_FACTORIES:
                return True
            func = node.func
            return isinstance(func, ast.Attribute) and func.attr in _SET_METHODS and self.is_set(func.value, fn, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)):
            return self.is_set(node.left, fn, depth + 1) or self.is_set(node.right, fn, depth + 1)
        if isinstance(node, ast.Name):
            scope: Function | None = fn
            while scope is not None:
                if node.id in scope.local_names:
                    return self._name_is_set(node.id, scope, depth)
                scope = scope.parent
        return False

    def _name_is_set(self, name: str, scope: Function, depth: int) -> bool:
        if name in scope.params:
            a = scope.node.args
            for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
                if p.arg == name and p.annotation is not None:
                    ann = p.annotation.value if isinstance(p.annotation, ast.Subscript) else p.annotation
                    return self.model.qualify(ann) in _SET_TYPES
            return False
        values = self.values.get((id(scope), name))
        if not values:
            return False  # bound some other way (a loop target, `with ... as`, an import)
        return all(v is not None and self.is_set(v, scope, depth + 1) for v in values)
