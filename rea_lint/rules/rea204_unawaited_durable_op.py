"""REA204 unawaited-durable-op: a discarded durable future hides its result and its failure."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, Model, call_name
from rea_lint.rules.base import Checker

_HEADER = "import restate\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"

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


class UnawaitedDurableOp(Checker):
    code = "REA204"

    def check(self, model: Model) -> Iterator[Finding]:
        promises: set[tuple[int, str]] | None = None
        for stmt, fn in model.handler_nodes(ast.Expr):
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

    invalid = (
        _HEADER + "    ctx.service_call(charge, 1)\n",
        _HEADER + "    ctx.sleep(timedelta(seconds=1))\n",
        _HEADER + "    ctx.run_typed('x', work)\n",
        "import restate\nasync def h(ctx: restate.WorkflowSharedContext):\n    ctx.promise('approved').resolve(True)\n",
    )
    valid = (
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
    for assign, fn in model.handler_nodes(ast.Assign):
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
