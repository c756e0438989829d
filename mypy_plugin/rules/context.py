"""REA201 context-in-run, REA202 state-write-in-shared-handler, REA203 context-kind-mismatch."""

from __future__ import annotations

from typing import Iterator

from mypy.nodes import ARG_NAMED, ARG_POS, CallExpr, Context, Expression, FuncItem, MemberExpr, NameExpr, TupleExpr, Var
from mypy.types import CallableType

from mypy_plugin.handlers import Handlers, context_param, first_param_annotation
from mypy_plugin.index import _func_node, action_of, argument, unwrap_partial
from mypy_plugin.restate_types import SHARED
from rea_lint.tables import RUN_HELPERS, SAGA_RUN_METHODS

__all__ = [
    "contexts_in_helper_run", "contexts_in_run", "declares_shared_context", "shared_state_writes", "context_kind_mismatch",
    "WRITE_METHODS",
]

WRITE_METHODS = frozenset({"set", "clear", "clear_all"})
_RUN_TYPED_FIXED = 3  # name, action, options: the rest are the action's arguments


def contexts_in_run(h: Handlers, call: CallExpr, method: str) -> Iterator[Expression]:
    """Each use of a context inside the action of `ctx.run(...)`, and each argument passing one in."""
    passed: list[Expression] = []
    for i, (arg, name) in enumerate(zip(call.args, call.arg_names)):
        if method == "run_typed" and ((name is None and i >= _RUN_TYPED_FIXED) or name not in (None, "name", "action", "options")):
            passed.append(arg)
        elif method == "run" and name == "args":
            passed.extend(arg.items if isinstance(arg, TupleExpr) else [arg])
    yield from _uses(h, action_of(call), passed)


def contexts_in_helper_run(h: Handlers, call: CallExpr, fullname: str, method: str) -> Iterator[Expression]:
    """REA201 for the runs rea_runtime starts on the handler's behalf, as the linter reads them
    (`rea_lint.tables`): `rea_runtime.run/run_typed(ctx, name, action, ...)` (run_typed hands its
    extra arguments to the action), `request_approval(ctx, notify=...)`, and a `Saga`'s
    `step/register/run` (the action and the compensation each run as a run: the caller has
    seen the receiver is a saga)."""
    helper = RUN_HELPERS.get(fullname)
    if helper is not None:
        position, keyword, forwards = helper
        passed: list[Expression] = []
        if forwards:
            passed = [a for i, (a, k, n) in enumerate(zip(call.args, call.arg_kinds, call.arg_names))
                      if (k == ARG_POS and i > position) or (k == ARG_NAMED and n not in _HELPER_OPTIONS)]
        yield from _uses(h, argument(call, position, keyword), passed)
    elif method in SAGA_RUN_METHODS:
        for at, name in SAGA_RUN_METHODS[method]:
            yield from _uses(h, argument(call, at, name), [])


_HELPER_OPTIONS = frozenset({"max_attempts", "max_duration", "options"})
"""The helpers' own keywords: every other keyword of `run_typed` goes to the action."""


def _uses(h: Handlers, action: Expression | None, passed: list[Expression]) -> Iterator[Expression]:
    """Each context handed to a run action (``passed`` to it, or bound by `functools.partial`)
    and each one the action reads."""
    target, partial_args = unwrap_partial(action)
    for arg in (*partial_args, *passed):
        if h.is_context_expr(arg):
            yield arg
    func = _func_node(target)
    if func is None:
        return
    # the action's own parameters (its nested functions' too) and the names it reads, from the
    # module's index: the action is not walked again at every run call
    index = h.index
    own = {id(a.variable) for f in index.nested(func) for a in f.arguments}
    for node in index.names_within(func):
        if isinstance(node.node, Var) and id(node.node) not in own and h.is_context_expr(node):
            yield node


def shared_state_writes(h: Handlers, func: FuncItem, handler_kind: str | None) -> Iterator[CallExpr]:
    """`ctx.set/clear/clear_all` where the handler is shared or every context type the receiver
    may be is a shared one (`ObjectSharedContext | ObjectContext` may be either: not reported,
    as the linter does, whatever the order of the union).

    Walked here rather than in a method hook: on `ObjectSharedContext` the methods do not
    exist, so mypy reports attr-defined and never calls a hook for them.
    """
    untyped_ctx = context_param(func) if handler_kind == "shared" else None
    for node in h.index.calls_within(func):
        if not isinstance(node.callee, MemberExpr) or node.callee.name not in WRITE_METHODS:
            continue
        recv = node.callee.expr
        typ = h.type_of(recv)
        base = h.contexts.base_of(typ)
        if base is None:
            # A shared handler's context needs no annotation: it is the first parameter.
            if untyped_ctx is not None and isinstance(recv, NameExpr) and recv.node is untyped_ctx:
                yield node
            continue
        if handler_kind == "shared" or all(b in SHARED for b in h.contexts.bases_of(typ)):
            yield node  # (a union of a shared and another context may be either: mypy reports the write)


def declares_shared_context(h: Handlers, func: FuncItem) -> bool:
    """Does `func` declare a parameter that can only be a shared context? (What a handler whose
    decorator mypy cannot resolve is judged on.)"""
    sig = func.type
    if not isinstance(sig, CallableType):
        return False
    return any(all(b in SHARED for b in h.contexts.bases_of(sig.arg_types[i])) for i in h.context_params(func))


def context_kind_mismatch(h: Handlers, func: FuncItem, expected: str) -> tuple[Context, str] | None:
    """The annotation node and its type name when it is a Restate context of the wrong kind."""
    annotation, node = first_param_annotation(func)
    if annotation is None:
        return None
    base = h.contexts.base_of(annotation)
    if base is None or base == expected or expected in h.contexts.bases_of(annotation):
        return None  # (a union that admits the expected context is not a mismatch: the SDK passes that one)
    return node, str(annotation)
