"""REA204 unawaited-durable-op: a durable operation's future thrown away."""

from __future__ import annotations

__all__ = ["CONTEXT_OPS", "PROMISE_OPS", "is_unawaited_op"]

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
