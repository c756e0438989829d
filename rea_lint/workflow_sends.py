"""Delayed sends from a workflow's `run` to its own handlers, read from the semantic model.

A workflow keeps its state and promises for its retention *after* `run` completes, so a
durable sleep inside `run` never outlives them (the clock starts at completion). What can land
after they are gone is work `run` schedules for later and does not wait for: a delayed send to
one of the workflow's own handlers, same id. rea_runtime's definition-time retention check
asks these questions; they stay silent wherever the code does not say for sure.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from rea_lint.model import Function, Model, call_argument
from rea_lint.rules.rea206_sleep_in_exclusive_handler import literal_seconds

__all__ = ["DelayedSelfSend", "delayed_self_sends", "reads_workflow_state", "function_at"]

_SENDS = {
    # method -> positions of (target, key, delay) and the target's keyword
    "workflow_send": (0, 1, 3, "tpe"),
    "generic_send": (1, 3, 4, "handler"),
}
_QUICK = frozenset({"get", "state_keys"})
"""Awaits on the context that return at once (state is local to the invocation)."""
_QUICK_PROMISE = frozenset({"peek", "resolve", "reject"})
_STATE_CLASSES = frozenset({"rea_runtime.State", "rea_runtime.state.State", "rea_runtime.Status",
                            "rea_runtime.workflow.Status"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


@dataclass(frozen=True)
class DelayedSelfSend:
    """`ctx.workflow_send(handler, ctx.key(), ..., send_delay=<literal>)` in `run`."""

    call: ast.Call
    handler: str
    """The target handler's name as written (a function name, or the literal of `generic_send`)."""
    by_name: bool
    """The target is a Name (resolve it to a function), not a handler-name literal."""
    seconds: float
    final: bool
    """After the send, `run` cannot wait any more (no loop around it, no later await other
    than reading state), so it completes right after: the send lands ``seconds`` later."""


def function_at(model: Model, name: str, first_line: int) -> Function | None:
    """The function `name` whose first line (its first decorator's, as `co_firstlineno`) is this."""
    for fn in model.functions:
        node = fn.node
        start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        if node.name == name and start == first_line:
            return fn
    return None


def _context_param(fn: Function) -> str | None:
    args = [*fn.node.args.posonlyargs, *fn.node.args.args]
    return args[0].arg if args else None


def _on(node: ast.expr | None, ctx: str) -> str | None:
    """`<ctx>.<method>(...)` -> method."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        value = node.func.value
        if isinstance(value, ast.Name) and value.id == ctx:
            return node.func.attr
    return None


def _seconds(model: Model, node: ast.expr, fn: Function) -> float | None:
    if isinstance(node, ast.Name) and not model.is_local(node.id, fn):
        node = model.module_values.get(node.id) or node  # `DELAY = timedelta(days=3)` at module level
    return literal_seconds(model, node, fn)


def _after(node: ast.AST, call: ast.Call) -> bool:
    return (node.lineno, node.col_offset) > (call.end_lineno, call.end_col_offset)  # type: ignore[attr-defined]


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return ((outer.lineno, outer.col_offset) <= (inner.lineno, inner.col_offset)  # type: ignore[attr-defined]
            and (inner.end_lineno, inner.end_col_offset) <= (outer.end_lineno, outer.end_col_offset))  # type: ignore[attr-defined]


def _quick(awaited: ast.expr, ctx: str) -> bool:
    if _on(awaited, ctx) in _QUICK:
        return True
    if isinstance(awaited, ast.Call) and isinstance(awaited.func, ast.Attribute) and awaited.func.attr in _QUICK_PROMISE:
        return _on(awaited.func.value, ctx) == "promise"
    return False


def _final(nodes: dict[type, list[ast.AST]], call: ast.Call, ctx: str) -> bool:
    for loop_type in _LOOPS:
        if any(_contains(loop, call) for loop in nodes.get(loop_type, ())):
            return False  # the next iteration may wait
    if any(_contains(w, call) or _after(w, call) for w in nodes.get(ast.AsyncWith, ())):
        return False  # leaving an `async with` awaits (a saga's unwinding, for one)
    if any(_after(w, call) for w in nodes.get(ast.AsyncFor, ())):
        return False
    return not any(_after(a, call) and not _quick(a.value, ctx) for a in nodes.get(ast.Await, ()))  # type: ignore[attr-defined]


def delayed_self_sends(model: Model, run: Function, workflow: str) -> list[DelayedSelfSend]:
    """The delayed sends in `run`'s own code to a handler of ``workflow`` with `run`'s own key
    (`ctx.key()`) and a literal delay; anything computed is left out."""
    ctx = _context_param(run)
    if ctx is None:
        return []
    nodes = model.function_nodes(run)
    found = []
    for call in nodes.get(ast.Call, ()):
        method = _on(call, ctx)  # type: ignore[arg-type]
        if method not in _SENDS:
            continue
        target_at, key_at, delay_at, target_kw = _SENDS[method]
        key = call_argument(call, key_at, "key")  # type: ignore[arg-type]
        if _on(key, ctx) != "key" or key.args or key.keywords:  # type: ignore[union-attr]
            continue
        delay = call_argument(call, delay_at, "send_delay")  # type: ignore[arg-type]
        seconds = _seconds(model, delay, run) if delay is not None else None
        if seconds is None:
            continue
        target = call_argument(call, target_at, target_kw)  # type: ignore[arg-type]
        if method == "generic_send":
            service = call_argument(call, 0, "service")  # type: ignore[arg-type]
            if not (isinstance(service, ast.Constant) and service.value == workflow
                    and isinstance(target, ast.Constant) and isinstance(target.value, str)):
                continue
            name, by_name = target.value, False
        elif isinstance(target, ast.Name) and target.id not in run.local_names:
            name, by_name = target.id, True
        else:
            continue
        found.append(DelayedSelfSend(call, name, by_name, seconds, _final(nodes, call, ctx)))  # type: ignore[arg-type]
    return found


def reads_workflow_state(model: Model, handler: Function) -> bool:
    """Does this handler's own code read the workflow's state or promises through its context
    (`ctx.get`, `ctx.state_keys`, `ctx.promise`, or a module-level rea `State`/`Status` given it)?"""
    ctx = _context_param(handler)
    if ctx is None:
        return False
    for call in model.function_nodes(handler).get(ast.Call, ()):
        if _on(call, ctx) in ("get", "state_keys", "promise"):  # type: ignore[arg-type, operator]
            return True
        func = call.func  # type: ignore[attr-defined]
        if (isinstance(func, ast.Attribute) and func.attr in ("get", "read") and isinstance(func.value, ast.Name)
                and call.args and isinstance(call.args[0], ast.Name) and call.args[0].id == ctx):  # type: ignore[attr-defined]
            value = model.module_values.get(func.value.id)
            if isinstance(value, ast.Call) and model.qualify(value.func) in _STATE_CLASSES:
                return True
    return False
