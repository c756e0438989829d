"""REA204 unawaited-durable-op: a discarded durable future hides its result and its failure.

Discarded as a bare statement, or bound to a local (`fut = ctx.service_call(...)`,
`wake_id, wake = ctx.awakeable()`) that is then never awaited, returned, yielded, passed,
stored or combined. `len(fut)`, `str(fut)` and `ctx.set(k, fut)` do not count as using it.
A durable promise handle (`p = ctx.promise("x")`) is used once one of its methods is called.
Testing a future for truth (`if fut:`) does not use it either: a future is always truthy. A
leading `_` exempts nothing (to keep only an awakeable's id: `aid = ctx.awakeable()[0]`).
"""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, Model, call_name, children
from rea_lint.rules.base import Checker

_HEADER = "import restate\nfrom datetime import timedelta\nwf = restate.Workflow('w')\n@wf.main()\nasync def h(ctx: restate.WorkflowContext):\n"

DURABLE_METHODS = frozenset(
    {
        "run",
        "run_typed",
        "sleep",
        "get",
        "time",
        "state_keys",
        "service_call",
        "object_call",
        "workflow_call",
        "generic_call",
        "attach_invocation",
        "promise",
    }
)
PROMISE_METHODS = frozenset({"value", "resolve", "reject", "peek"})
_BINDING_METHODS = DURABLE_METHODS | PROMISE_METHODS | {"awakeable"}
"""The calls whose result `_bound_futures` may report as a future bound and never used."""


class UnawaitedDurableOp(Checker):
    code = "REA204"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        promises: set[tuple[int, str]] | None = None
        for stmts, fn in model.handler_segments(ast.Expr):
            for stmt in stmts:
                call = stmt.value
                if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute) or not fn.contexts:
                    continue
                func = call.func
                receiver = func.value
                durable = False
                if func.attr in DURABLE_METHODS:
                    durable = model.context_of(receiver, fn) is not None
                elif func.attr in PROMISE_METHODS:
                    if isinstance(receiver, ast.Call):  # ctx.promise("p").resolve(v)
                        durable = _is_promise_call(model, receiver, fn)
                    elif isinstance(receiver, ast.Name):  # p = ctx.promise("p"); p.resolve(v)
                        if promises is None:
                            promises = _promise_names(model)
                        durable = _bound_in(model, receiver.id, fn, promises)
                if durable:
                    yield self.report(
                        stmt,
                        subject=call_name(call),
                        ctx=fn.context_name(),
                        data={"call": call, "is_async": fn.is_async},
                    )
        yield from self._bound_futures(model)

    def _bound_futures(self, model: Model) -> Iterator[Finding]:
        promises: set[tuple[int, str]] | None = None
        counts: dict[int, tuple[dict[str, int], dict[str, int]]] = {}
        call, attribute = ast.Call, ast.Attribute
        for assigns, fn in model.handler_segments(ast.Assign):
            if not fn.contexts:
                continue
            for assign in assigns:
                value = assign.value
                if type(value) is not call or len(assign.targets) != 1:
                    continue
                func = value.func
                if type(func) is not attribute or func.attr not in _BINDING_METHODS:
                    continue  # (most assignments: nothing below can name a future)
                target = assign.targets[0]
                name: str | None = None
                if isinstance(target, ast.Name):
                    if func.attr in DURABLE_METHODS and model.context_of(func.value, fn) is not None:
                        name = target.id
                    elif func.attr in PROMISE_METHODS:
                        if isinstance(func.value, ast.Call):
                            durable = _is_promise_call(model, func.value, fn)
                        elif isinstance(func.value, ast.Name):
                            if promises is None:
                                promises = _promise_names(model)
                            durable = _bound_in(model, func.value.id, fn, promises)
                        else:
                            durable = False
                        name = target.id if durable else None
                elif (
                    isinstance(target, ast.Tuple) and len(target.elts) == 2 and isinstance(target.elts[1], ast.Name)
                    and func.attr == "awakeable" and model.context_of(func.value, fn) is not None
                ):
                    name = target.elts[1].id  # `wake_id, wake = ctx.awakeable()`: the future
                if name is not None and not _is_used(model, name, fn, counts):
                    yield self.report(assign, subject=f"{name} = {call_name(value)}", ctx=fn.context_name(),
                                      data={"call": value, "is_async": fn.is_async})

    invalid = (
        _HEADER + "    wake_id, wake = ctx.awakeable()\n    ctx.set('id', wake_id)\n",
        _HEADER + "    keys = ctx.state_keys()\n    return len(keys)\n",
        _HEADER + "    cached = ctx.get('cached')\n    if cached:\n        return\n",
        _HEADER + "    ctx.service_call(charge, 1)\n",
        _HEADER + "    ctx.sleep(timedelta(seconds=1))\n",
        _HEADER + "    ctx.run_typed('x', work)\n",
        "import restate\nasync def h(ctx: restate.WorkflowSharedContext):\n    ctx.promise('approved', type_hint=bool).resolve(True)\n",
    )
    valid = (
        _HEADER + "    wake_id, wake = ctx.awakeable()\n    await restate.select(w=wake, t=ctx.sleep(timedelta(seconds=5)))\n",
        _HEADER + "    p = ctx.promise('approved', type_hint=bool)\n    await p.resolve(True)\n",
        _HEADER + "    await ctx.service_call(charge, 1)\n",
        _HEADER + "    ctx.service_send(charge, 1)\n",
        _HEADER + "    fut = ctx.service_call(charge, 1)\n    await fut\n",
        _HEADER + "    ctx.set('k', 1)\n",
    )


def _is_promise_call(model: Model, node: ast.expr, fn: Function) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "promise"
        and model.context_of(node.func.value, fn) is not None
    )


def _promise_names(model: Model) -> set[tuple[int, str]]:
    out: set[tuple[int, str]] = set()
    for assigns, fn in model.handler_segments(ast.Assign):
        for assign in assigns:
            if _is_promise_call(model, assign.value, fn):
                out.update((id(fn), t.id) for t in assign.targets if isinstance(t, ast.Name))
    return out


def _bound_in(model: Model, name: str, fn: Function, names: set[tuple[int, str]]) -> bool:
    scope: Function | None = fn
    while scope is not None:
        if name in scope.local_names:
            return (id(scope), name) in names
        scope = scope.parent
    return False


_WEAK_USES = frozenset({"builtins.len", "builtins.str", "builtins.repr"})
"""Calls that take a future without waiting for it (the rule specification, docs/rules/: still
reported)."""


def _is_used(model: Model, name: str, fn: Function,
             counts: dict[int, tuple[dict[str, int], dict[str, int]]] | None = None) -> bool:
    """Is the future bound to ``name`` read anywhere in ``fn`` (nested code included) other
    than as a bare statement, by `len`/`str`, or as the value of `ctx.set`? (``counts``:
    `_reads` per function, kept by the caller for the futures one function binds.)"""
    found = counts.get(id(fn)) if counts is not None else None
    if found is None:
        found = _reads(model, fn)
        if counts is not None:
            counts[id(fn)] = found
    loads, weak = found
    return loads.get(name, 0) > weak.get(name, 0)


def _reads(model: Model, fn: Function) -> tuple[dict[str, int], dict[str, int]]:
    """Per name, how often ``fn`` (nested code included) loads it, and how many of those
    loads are weak: a bare statement, a truth test, an argument of `len`/`str`/`repr` or the
    value of `ctx.set`. One walk for every future a function binds.

    (Every node is visited, as `ast.walk` would, but through `model.children` and a stack:
    the leaves it skips, `Load` and operators, are none of the nodes counted here.)"""
    loads: dict[str, int] = {}
    weak: dict[str, int] = {}
    stack: list[ast.AST] = [fn.node]
    pop, push = stack.pop, stack.extend
    Name, Load, Expr, Call, Attribute = ast.Name, ast.Load, ast.Expr, ast.Call, ast.Attribute
    while stack:
        node = pop()
        kind = type(node)
        if kind is Name:  # (a Name's only child is its ctx)
            if isinstance(node.ctx, Load):  # type: ignore[attr-defined]
                ident = node.id  # type: ignore[attr-defined]
                loads[ident] = loads.get(ident, 0) + 1
            continue
        if kind is Expr:
            value = node.value  # type: ignore[attr-defined]
            if type(value) is Name:
                weak[value.id] = weak.get(value.id, 0) + 1
        elif kind in _TESTS:
            _truth_tests(node.test, weak)  # type: ignore[attr-defined]
        elif kind is Call:
            named = [a.id for a in node.args if isinstance(a, Name)]  # type: ignore[attr-defined]
            named.extend(k.value.id for k in node.keywords if isinstance(k.value, Name))  # type: ignore[attr-defined]
            if named:
                func = node.func  # type: ignore[attr-defined]
                if (type(func) is Name and model.qualify(func, fn) in _WEAK_USES) or (
                    type(func) is Attribute and func.attr == "set" and model.context_of(func.value, fn) is not None
                ):
                    for ident in named:
                        weak[ident] = weak.get(ident, 0) + 1
        push(children(node))
    return loads, weak


_TESTS = frozenset({ast.If, ast.While, ast.IfExp, ast.Assert})
"""The nodes whose `test` may only test a future for truth (`_truth_tests`)."""


def _truth_tests(test: ast.expr, weak: dict[str, int]) -> None:
    """Count in ``weak`` the names a condition only tests for truth (`if fut:`, `if not fut
    and x:`): a future is always truthy, so that reads nothing of its result."""
    if isinstance(test, ast.Name):
        weak[test.id] = weak.get(test.id, 0) + 1
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        _truth_tests(test.operand, weak)
    elif isinstance(test, ast.BoolOp):
        for v in test.values:
            _truth_tests(v, weak)
