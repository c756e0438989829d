"""REA204 unawaited-durable-op: a durable operation's future thrown away."""

from __future__ import annotations

from mypy.nodes import AssignmentStmt, CallExpr, NameExpr, Node, TupleExpr

__all__ = ["CONTEXT_OPS", "PROMISE_OPS", "bound_future", "is_unawaited_op"]

CONTEXT_OPS = frozenset(
    {"run", "run_typed", "sleep", "get", "time", "state_keys", "service_call", "object_call",
     "workflow_call", "generic_call", "attach_invocation", "promise"}
)
PROMISE_OPS = frozenset({"value", "resolve", "reject", "peek"})


def is_unawaited_op(method: str, on_context: bool, on_promise: bool, discarded: bool) -> bool:
    """`ctx.sleep(...)` as a statement: `ctx.*_send` is fire-and-forget and is not listed."""
    if not discarded:
        return False
    return (on_context and method in CONTEXT_OPS) or (on_promise and method in PROMISE_OPS)


def bound_future(parent: Node | None, call: CallExpr, method: str, on_context: bool, on_promise: bool) -> tuple[AssignmentStmt, str] | None:
    """`fut = ctx.service_call(...)` or `wake_id, wake = ctx.awakeable()`: the statement and the
    name the future is bound to (whether it is used is the index's question)."""
    if not isinstance(parent, AssignmentStmt) or parent.rvalue is not call or len(parent.lvalues) != 1:
        return None
    found = _bound(parent, method, on_context, on_promise)
    return found  # (a leading `_` exempts nothing, as in the linter)


def _bound(parent: AssignmentStmt, method: str, on_context: bool, on_promise: bool) -> tuple[AssignmentStmt, str] | None:
    target = parent.lvalues[0]
    if isinstance(target, NameExpr) and ((on_context and method in CONTEXT_OPS) or (on_promise and method in PROMISE_OPS)):
        return parent, target.name
    if (on_context and method == "awakeable" and isinstance(target, TupleExpr) and len(target.items) == 2
            and isinstance(target.items[1], NameExpr)):
        return parent, target.items[1].name
    return None
