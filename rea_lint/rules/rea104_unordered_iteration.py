"""REA104 unordered-iteration: set order is salted per process, so journaled calls reorder.

(a) a loop over a set whose body performs Restate operations; (b) a value built from a set's
order (`list(s)`, `",".join(s)`, a comprehension over it) that reaches a journaled field: a
call's argument, a `ctx.set` value, a promise/awakeable resolution, a run name. `sorted`
anywhere on the way, or an in-place `.sort()` of the local it went through, makes it right.
"""

from __future__ import annotations

import ast
from typing import Iterator, Sequence

from rea_lint.findings import Finding
from rea_lint.model import Function, Model, source_text
from rea_lint.rules.base import Checker, qualified_calls

_HEADER = "import restate\nobj = restate.VirtualObject('o')\n@obj.handler()\nasync def h(ctx: restate.ObjectContext, ids: list):\n"

_SET_FACTORIES = frozenset({"builtins.set", "builtins.frozenset"})
_SET_METHODS = frozenset({"union", "intersection", "difference", "symmetric_difference", "copy"})
_SET_TYPES = frozenset(
    {"builtins.set", "builtins.frozenset", "typing.Set", "typing.FrozenSet", "typing.AbstractSet",
     "collections.abc.Set", "collections.abc.MutableSet"}
)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_ORDERED_BUILDERS = frozenset({"builtins.list", "builtins.tuple"})
_JOURNALED_CALLS = frozenset(
    {"service_call", "service_send", "object_call", "object_send", "workflow_call", "workflow_send",
     "generic_call", "generic_send", "resolve_awakeable", "reject_awakeable"}
)
"""Context methods every argument of which is journaled (`ctx.set` is judged by its value)."""
_PROMISE_RESOLUTION = frozenset({"resolve", "reject"})


class UnorderedIteration(Checker):
    code = "REA104"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        if not _may_hold_sets(model):
            return  # nothing in handler code can be a set: neither (a) nor (b) can hold
        sets: _SetNames | None = None
        loops: list[tuple[ast.expr, Sequence[ast.AST], Function]] = []
        for fn_loops, fn in model.handler_segments(ast.For, ast.AsyncFor):
            for loop in fn_loops:
                loops.append((loop.iter, loop.body, fn))  # type: ignore[attr-defined]
        for comps, fn in model.handler_segments(*_COMPREHENSIONS):
            for comp in comps:
                elts: list[ast.AST] = [comp.key, comp.value] if isinstance(comp, ast.DictComp) else [comp.elt]  # type: ignore[attr-defined]
                for i, gen in enumerate(comp.generators):  # type: ignore[attr-defined]
                    loops.append((gen.iter, [*elts, *gen.ifs, *comp.generators[i + 1 :]], fn))  # type: ignore[attr-defined]
        reported: set[int] = set()
        for iterable, body, fn in loops:
            if not fn.contexts:
                continue
            if sets is None:
                sets = _SetNames(model)
            if sets.is_unordered(iterable, fn) and model.contains_restate_operation(body, fn):
                reported.add(id(iterable))
                yield self.report(iterable, subject=source_text(iterable), ctx=fn.context_name(),
                                  data={"orderable": sets.orderable(iterable, fn)})
        yield from self._journaled_order(model, sets or _SetNames(model), reported)

    def _journaled_order(self, model: Model, sets: "_SetNames", reported: set[int]) -> Iterator[Finding]:
        """(b): a value built from a set's order that reaches a journaled field."""
        seen: set[int] = set()
        for value, fn in _journaled_values(model):
            for builder in _order_builders(value, fn, sets):
                if id(builder) in seen:
                    continue
                seen.add(id(builder))
                if isinstance(builder, _COMPREHENSIONS) and any(id(g.iter) in reported for g in builder.generators):
                    continue  # (a) already points at its iterable
                inner = _set_inside(builder)
                orderable = sets.is_unordered(inner, fn) and sets.orderable(inner, fn)
                yield self.report(builder, subject=source_text(builder), ctx=fn.context_name(),
                                  data={"orderable": orderable})

    invalid = (
        _HEADER + "    ctx.set('ids', list(set(ids)))\n",
        _HEADER + "    key = ','.join({str(i) for i in ids})\n    await ctx.service_call(charge, key)\n",
        _HEADER + "    for i in set(ids):\n        await ctx.service_call(charge, i)\n",
        _HEADER + "    pending = {'a', 'b'}\n    for k in pending:\n        ctx.clear(k)\n",
        _HEADER + "    return [ctx.service_call(charge, i) for i in frozenset(ids)]\n",
    )
    valid = (
        _HEADER + "    ctx.set('ids', sorted(set(ids)))\n",
        _HEADER + "    unique = list(set(ids))\n    unique.sort()\n    ctx.set('ids', unique)\n",
        _HEADER + "    ctx.set('codes', list({1, 2, 3}))\n",
        _HEADER + "    slots = {1, 2, 3}\n    for n in slots:\n        ctx.clear(f'slot-{n}')\n",
        _HEADER + "    for i in sorted(set(ids)):\n        await ctx.service_call(charge, i)\n",
        _HEADER + "    for i in set(ids):\n        print(i)\n",
        _HEADER + "    for i in ids:\n        await ctx.service_call(charge, i)\n",
    )


def _may_hold_sets(model: Model) -> bool:
    """Can `_SetNames.is_set` hold for anything in handler code? Only if a set starts there:
    a set display or comprehension, a `set(...)`/`frozenset(...)` call, or a parameter
    annotated as a set (everything else it accepts is made of these)."""
    if model.handler_segments(ast.Set, ast.SetComp):  # (a function is listed only with some)
        return True
    by_qual = qualified_calls(model, model.handler_nodes)[1]
    if not _SET_FACTORIES.isdisjoint(by_qual):
        return True
    imported = model.imports.names
    scopes: dict[int, Function] = {}  # handler code's functions and those around them: where its names live
    for fn in model.functions:
        scope: Function | None = fn if fn.is_handler_code else None
        while scope is not None and id(scope) not in scopes:
            scopes[id(scope)] = scope
            scope = scope.parent
    attribute, name, subscript = ast.Attribute, ast.Name, ast.Subscript
    for fn in scopes.values():
        a = fn.node.args
        for params in (a.posonlyargs, a.args, a.kwonlyargs):
            for p in params:
                ann = p.annotation
                if ann is None:
                    continue
                if type(ann) is subscript:
                    ann = ann.value
                # a qualified name ends as the annotation does, or is what an imported name stands for
                if type(ann) is attribute:
                    if ann.attr not in _SET_TYPE_NAMES:
                        continue
                elif type(ann) is name:
                    if ann.id not in _SET_TYPE_NAMES and imported.get(ann.id) not in _SET_TYPES:
                        continue
                else:
                    continue  # qualifies to nothing
                if model.qualify(ann) in _SET_TYPES:
                    return True
    return False


_SET_TYPE_NAMES = frozenset(q.rpartition(".")[2] for q in _SET_TYPES)


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
        for stmts, fn in model.handler_segments(ast.Assign, ast.AnnAssign, ast.AugAssign):
            for stmt in stmts:
                if isinstance(stmt, ast.Assign):
                    targets, value = stmt.targets, stmt.value
                else:
                    targets, value = [stmt.target], stmt.value  # type: ignore[attr-defined]
                    if isinstance(stmt, ast.AugAssign):
                        value = None if not isinstance(stmt.op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)) else stmt.target  # type: ignore[assignment]
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

    def is_unordered(self, node: ast.expr, fn: Function) -> bool:
        """A set whose iteration order is salted: any set but one of int literals (the rule
        specification, docs/rules/)."""
        return self.is_set(node, fn) and not self._int_literals(node, fn, 0)

    def orderable(self, node: ast.expr, fn: Function) -> bool:
        """Are the set's elements known to be of one orderable type (so `sorted(...)` cannot
        raise TypeError, as `sorted({1, "a"})` does)?"""
        return self._kind(node, fn, 0) is not None

    def _kind(self, node: ast.expr, fn: Function, depth: int) -> str | None:
        """The one orderable type (`str`, `num`, `bytes`) of a set's elements, if known."""
        if depth > 6:
            return None
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
            return _same(_literal_kind(e) for e in node.elts) if node.elts else None
        if isinstance(node, (ast.SetComp, ast.ListComp, ast.GeneratorExp)):
            gens = node.generators
            if (isinstance(node.elt, ast.Name) and len(gens) == 1 and isinstance(gens[0].target, ast.Name)
                    and gens[0].target.id == node.elt.id):
                return self._kind(gens[0].iter, fn, depth + 1)  # {i for i in items}
            return self._value_kind(node.elt, fn)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return "str"  # set("abc"): its characters
        if isinstance(node, ast.Call):
            func = node.func
            if self.model.call_target(node, fn) in _SET_FACTORIES and len(node.args) == 1 and not node.keywords:
                return self._kind(node.args[0], fn, depth + 1)
            if isinstance(func, ast.Attribute) and func.attr in ("split", "rsplit", "splitlines"):
                return "str" if self._value_kind(func.value, fn) == "str" else None
            if isinstance(func, ast.Attribute) and func.attr in _SET_METHODS:
                return _same([self._kind(func.value, fn, depth + 1), *(self._kind(a, fn, depth + 1) for a in node.args)])
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)):
            if isinstance(node.op, ast.Sub):
                return self._kind(node.left, fn, depth + 1)
            return _same([self._kind(node.left, fn, depth + 1), self._kind(node.right, fn, depth + 1)])
        if isinstance(node, ast.Name):
            scope: Function | None = fn
            while scope is not None:
                if node.id in scope.local_names:
                    break
                scope = scope.parent
            if scope is None:
                return None
            if node.id in scope.params:
                return _annotated_kind(self.model, scope, node.id)
            values = self.values.get((id(scope), node.id))
            if not values or any(v is None for v in values):
                return None
            return _same(self._kind(v, scope, depth + 1) for v in values)  # type: ignore[arg-type]
        return None

    def _value_kind(self, node: ast.expr, fn: Function) -> str | None:
        """The type of one value, where it is plain: a literal, an f-string, `str(...)`."""
        if isinstance(node, ast.JoinedStr):
            return "str"
        if isinstance(node, ast.Constant):
            return _literal_kind(node)
        if isinstance(node, ast.Call):
            target = self.model.call_target(node, fn)
            if target in _VALUE_KINDS:
                return _VALUE_KINDS[target]
        if isinstance(node, ast.Name) and node.id in fn.params:
            return _annotated_kind(self.model, fn, node.id, element=False)
        return None

    def _int_literals(self, node: ast.expr, fn: Function, depth: int) -> bool:
        if depth > 4:
            return False
        if isinstance(node, ast.Set) or (isinstance(node, (ast.List, ast.Tuple))):
            return bool(node.elts) and all(
                isinstance(e, ast.Constant) and type(e.value) is int for e in node.elts
            )
        if isinstance(node, ast.Call) and len(node.args) == 1 and self.model.call_target(node, fn) in _SET_FACTORIES:
            return self._int_literals(node.args[0], fn, depth + 1)
        if isinstance(node, ast.Name):
            values = self.values.get((id(fn), node.id))
            return bool(values) and all(v is not None and self._int_literals(v, fn, depth + 1) for v in values)  # type: ignore[union-attr]
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


_VALUE_KINDS = {"builtins.str": "str", "builtins.int": "num", "builtins.float": "num", "builtins.bytes": "bytes"}


def _literal_kind(node: ast.expr) -> str | None:
    if not isinstance(node, ast.Constant):
        return None
    value = node.value
    if isinstance(value, str):
        return "str"
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, (int, float)) and not isinstance(value, complex):
        return "num"  # bool is an int
    return None


def _same(kinds) -> str | None:
    """The one kind all of these are, or None (unknown, or mixed: `{1, "a"}`)."""
    found: set[str | None] = set(kinds)
    if len(found) != 1:
        return None
    return found.pop()


def _annotated_kind(model: Model, fn: Function, name: str, element: bool = True) -> str | None:
    """From a parameter's annotation: `set[str]`, `list[int]`, `Iterable[str]` give the
    elements' kind (``element``), `str` / `int` the value's."""
    a = fn.node.args
    for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
        if p.arg != name or p.annotation is None:
            continue
        ann = p.annotation
        if element:
            if not isinstance(ann, ast.Subscript) or isinstance(ann.slice, ast.Tuple):
                return None
            ann = ann.slice
        return _VALUE_KINDS.get(model.qualify(ann) or "")
    return None


def _set_inside(builder: ast.expr) -> ast.expr:
    """The set a (b) builder is built from (`list(s)`, `",".join(s)`, `[*s]`, a comprehension):
    the node the autofix wraps in `sorted(...)` (kept in step with it)."""
    node = builder
    while True:
        if isinstance(node, ast.Call) and len(node.args) == 1:
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "join") or (
                isinstance(func, ast.Name) and func.id in ("list", "tuple")
            ):
                node = node.args[0]
                continue
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return node.generators[0].iter
        if isinstance(node, (ast.List, ast.Tuple)):
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    return element.value
        return node


def _journaled_values(model: Model) -> Iterator[tuple[ast.expr, Function]]:
    """The expressions handler code hands to a journaled field."""
    for fn_calls, fn in model.handler_segments(ast.Call):
        for call in fn_calls:
            func = call.func
            if not isinstance(func, ast.Attribute) or not fn.contexts:
                continue
            receiver = func.value
            on_context = model.context_of(receiver, fn) is not None
            if on_context and func.attr in _JOURNALED_CALLS:
                yield from ((a.value if isinstance(a, ast.Starred) else a, fn) for a in call.args)
                yield from ((k.value, fn) for k in call.keywords)
            elif on_context and func.attr == "set":
                value = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "value"), None)
                if value is not None:
                    yield value, fn
            elif func.attr in _PROMISE_RESOLUTION and _is_promise(model, receiver, fn):
                yield from ((a, fn) for a in call.args)
                yield from ((k.value, fn) for k in call.keywords)
    for run in model.run_calls:
        call = run.call
        first = call.args[0] if call.args else None
        # `ctx.run(name, ...)`, `saga.step(name, ...)`; rea_runtime's `run(ctx, name, ...)`
        position = 1 if first is not None and model.context_of(first, run.function) is not None else 0
        name = call.args[position] if len(call.args) > position else next((k.value for k in call.keywords if k.arg == "name"), None)
        if name is not None and run.function.is_handler_code:
            yield name, run.function


def _is_promise(model: Model, node: ast.expr, fn: Function) -> bool:
    """`ctx.promise("p")`, or a name bound to it in this function."""
    if isinstance(node, ast.Call):
        func = node.func
        return isinstance(func, ast.Attribute) and func.attr == "promise" and model.context_of(func.value, fn) is not None
    if isinstance(node, ast.Name):
        for assign in model.function_nodes(fn).get(ast.Assign, ()):
            if any(isinstance(t, ast.Name) and t.id == node.id for t in assign.targets):  # type: ignore[attr-defined]
                return _is_promise(model, assign.value, fn)  # type: ignore[attr-defined]
    return False


def _order_builders(value: ast.expr, fn: Function, sets: "_SetNames", through_name: bool = True) -> Iterator[ast.expr]:
    """The expressions in ``value`` that build an ordered value from a set: directly, inside a
    literal container or f-string, or through one local name bound once to such a value and
    never sorted in place."""
    stack: list[ast.expr] = [value]
    while stack:
        node = stack.pop()
        builder = _builds_from_set(node, fn, sets)
        if builder is not None:
            yield builder
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Dict):
            stack.extend(v for v in (*node.keys, *node.values) if v is not None)
        elif isinstance(node, ast.JoinedStr):
            stack.extend(v.value for v in node.values if isinstance(v, ast.FormattedValue))
        elif isinstance(node, ast.Starred):
            stack.append(node.value)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            stack.extend((node.left, node.right))
        elif isinstance(node, ast.Name) and through_name:
            bound = _single_local_value(node.id, fn, sets)
            if bound is not None:
                yield from _order_builders(bound, fn, sets, through_name=False)


def _builds_from_set(node: ast.expr, fn: Function, sets: "_SetNames") -> ast.expr | None:
    model = sets.model
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return node if any(sets.is_unordered(g.iter, fn) for g in node.generators) else None
    if isinstance(node, (ast.List, ast.Tuple)):
        starred = [e.value for e in node.elts if isinstance(e, ast.Starred)]
        return node if any(sets.is_unordered(e, fn) for e in starred) else None
    if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
        return None
    arg = node.args[0]
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "join":
        if sets.is_unordered(arg, fn) or _builds_from_set(arg, fn, sets) is not None:
            return node
        return None
    if model.call_target(node, fn) in _ORDERED_BUILDERS:
        if sets.is_unordered(arg, fn) or _builds_from_set(arg, fn, sets) is not None:
            return node
    return None


def _single_local_value(name: str, fn: Function, sets: "_SetNames") -> ast.expr | None:
    """What a local of ``fn`` is bound to, if bound exactly once and never `.sort()`ed."""
    if name not in fn.local_names or name in fn.params:
        return None
    values = sets.values.get((id(fn), name))
    if not values or len(values) != 1 or values[0] is None:
        return None
    for call in sets.model.function_nodes(fn).get(ast.Call, ()):
        func = call.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Attribute) and func.attr == "sort" and isinstance(func.value, ast.Name) and func.value.id == name:
            return None
    return values[0]
