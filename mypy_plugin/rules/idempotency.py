"""REA301 redundant-idempotency-key, REA302 nondeterministic-idempotency-key."""

from __future__ import annotations

from typing import Callable, Iterator

from mypy.nodes import CallExpr, Expression, ListExpr, MemberExpr, NameExpr, OpExpr, StrExpr

from mypy_plugin.handlers import Handlers
from mypy_plugin.tree import walk

__all__ = ["CALL_METHODS", "idempotency_key", "key_kind", "nondeterministic_calls"]

CALL_METHODS = frozenset(
    {"service_call", "service_send", "object_call", "object_send", "workflow_call", "workflow_send",
     "generic_call", "generic_send"}
)
_PER_INVOCATION = frozenset({"uuid", "random", "request"})

CONST, INVOCATION, OTHER = "const", "invocation", "other"


def idempotency_key(call: CallExpr) -> Expression | None:
    for arg, name in zip(call.args, call.arg_names):
        if name == "idempotency_key":
            return arg
    return None


def key_kind(h: Handlers, expr: Expression, depth: int = 0) -> str:
    """CONST (literal text), INVOCATION (only `ctx.uuid()`/`ctx.random()`/`ctx.request().id`
    around literal text) or OTHER (business data: anything else, `ctx.key()` included)."""
    if depth > 20:
        return OTHER
    if isinstance(expr, StrExpr):
        return CONST
    if isinstance(expr, CallExpr) and isinstance(expr.callee, MemberExpr):
        recv = expr.callee.expr
        if isinstance(recv, StrExpr) and expr.callee.name in ("format", "join"):
            # f-strings reach mypy as "...".format(...) and "".join([...])
            parts: list[Expression] = []
            for a in expr.args:
                parts.extend(a.items if isinstance(a, ListExpr) else [a])
            return _combine(h, parts, depth)
        if expr.callee.name in _PER_INVOCATION and h.is_context_expr(recv):
            return INVOCATION
        return _combine(h, [recv], depth) if _from_invocation(h, recv) else OTHER
    if isinstance(expr, CallExpr) and isinstance(expr.callee, NameExpr) and expr.callee.fullname in ("builtins.str", "builtins.repr") and len(expr.args) == 1:
        return key_kind(h, expr.args[0], depth + 1)
    if isinstance(expr, MemberExpr) and _from_invocation(h, expr.expr):
        return INVOCATION
    if isinstance(expr, OpExpr) and expr.op in ("+", "%"):
        return _combine(h, [expr.left, expr.right], depth)
    value = h.index.single_value(expr)  # `key = f"refund-{ctx.uuid()}"`, then `idempotency_key=key`
    if value is not None:
        return key_kind(h, value, depth + 1)
    return OTHER


def _from_invocation(h: Handlers, expr: Expression) -> bool:
    """`ctx.uuid()`, `ctx.random()`, `ctx.request()` or a value read off one of them."""
    seen = 0
    while seen < 10:
        seen += 1
        if isinstance(expr, CallExpr) and isinstance(expr.callee, MemberExpr):
            if expr.callee.name in _PER_INVOCATION and h.is_context_expr(expr.callee.expr):
                return True
            expr = expr.callee.expr
        elif isinstance(expr, MemberExpr):
            expr = expr.expr
        else:
            return False
    return False


def _combine(h: Handlers, parts: list[Expression], depth: int) -> str:
    kinds = {key_kind(h, p, depth + 1) for p in parts}
    if OTHER in kinds:
        return OTHER
    return INVOCATION if INVOCATION in kinds else CONST


def nondeterministic_calls(h: Handlers, expr: Expression, forbidden: Callable[[CallExpr], bool]) -> Iterator[CallExpr]:
    """Calls inside the key that REA101-103 name (clock, random, uuid1/uuid4), also through
    names bound once on the way (`stamp = f"{order}-{time.time()}"`)."""
    pending, seen = [expr], 0
    while pending and seen < 20:
        seen += 1
        for node in walk(pending.pop()):
            if isinstance(node, CallExpr) and forbidden(node):
                yield node
            value = h.index.single_value(node) if isinstance(node, NameExpr) else None
            if value is not None:
                pending.append(value)
