"""Where an idempotency key comes from: per-invocation values, non-determinism, or business data.

REA301 flags keys built only from per-invocation values (`ctx.uuid()`, `ctx.random()`,
`ctx.request().id`, constant text around them); REA302 flags keys built from a clock read,
fresh randomness or uuid1/uuid4. Anything else (a handler input, `ctx.key()`, a local name
assigned more than once) is business data and fine.
"""

from __future__ import annotations

import ast
import enum
from typing import Callable, Iterator

from rea_lint.model import Function, Model
from rea_lint.rules.base import method_calls

CALL_METHODS = frozenset(
    {
        "service_call",
        "service_send",
        "object_call",
        "object_send",
        "workflow_call",
        "workflow_send",
        "generic_call",
        "generic_send",
    }
)
_CALL_METHODS_ORDER = tuple(sorted(CALL_METHODS))
_TEXT_BUILTINS = frozenset({"str", "repr", "format"})


class Origin(enum.IntEnum):
    """Ordered so that combining parts is `max`: one nondeterministic part taints the key."""

    CONSTANT = 0
    PER_INVOCATION = 1
    BUSINESS = 2
    NONDETERMINISTIC = 3


def key_arguments(model: Model) -> Iterator[tuple[ast.keyword, Function]]:
    """Every `idempotency_key=` given to a context call in handler code (method by method:
    the calls are looked up by method name, not scanned)."""
    context_of = model.context_of
    for call, fn in method_calls(model, model.handler_nodes, _CALL_METHODS_ORDER):
        if call.keywords and context_of(call.func.value, fn):  # type: ignore[attr-defined]
            for kw in call.keywords:
                if kw.arg == "idempotency_key":
                    yield kw, fn


class KeyOrigin:
    """Classifies a key expression; `is_nondeterministic(call, fn)` comes from REA101-103."""

    def __init__(self, model: Model, is_nondeterministic: Callable[[ast.Call, Function], bool]) -> None:
        self.model = model
        self.is_nondeterministic = is_nondeterministic
        self._assignments: dict[int, dict[str, ast.expr | None]] = {}

    def of(self, expr: ast.expr, fn: Function, depth: int = 0) -> Origin:
        if depth > 20:
            return Origin.BUSINESS
        parts = self._parts(expr, fn, depth)
        return max(parts, default=Origin.CONSTANT)

    def _parts(self, e: ast.expr, fn: Function, depth: int) -> list[Origin]:
        m = self.model
        if isinstance(e, ast.Constant):
            return [Origin.CONSTANT]
        if isinstance(e, ast.JoinedStr):
            return [self.of(v, fn, depth + 1) for v in e.values]
        if isinstance(e, ast.FormattedValue):
            return [self.of(e.value, fn, depth + 1)]
        if isinstance(e, ast.BinOp):
            return [self.of(e.left, fn, depth + 1), self.of(e.right, fn, depth + 1)]
        if isinstance(e, ast.Name):
            value = self._single_assignment(fn, e.id)
            return [self.of(value, fn, depth + 1) if value is not None else Origin.BUSINESS]
        if isinstance(e, ast.Attribute):
            # `ctx.request().id` is per invocation; `.hex` / `.int` of a uuid keep its origin
            if e.attr == "id" and _is_context_call(m, e.value, fn, "request"):
                return [Origin.PER_INVOCATION]
            return [self.of(e.value, fn, depth + 1)]
        if isinstance(e, ast.Call):
            if self.is_nondeterministic(e, fn):
                return [Origin.NONDETERMINISTIC]
            if _is_context_call(m, e, fn, "uuid"):
                return [Origin.PER_INVOCATION]
            func = e.func
            if isinstance(func, ast.Attribute):
                if _is_context_call(m, func.value, fn, "random"):
                    return [Origin.PER_INVOCATION]
                # a method of a value (`str(ctx.uuid()).upper()`, `"-".join([...])`)
                receiver = self.of(func.value, fn, depth + 1)
                return [receiver, *(self.of(a, fn, depth + 1) for a in e.args)]
            if isinstance(func, ast.Name) and func.id in _TEXT_BUILTINS and func.id not in fn.local_names:
                return [self.of(a, fn, depth + 1) for a in e.args] or [Origin.CONSTANT]
            return [Origin.BUSINESS]
        if isinstance(e, (ast.List, ast.Tuple)):
            return [self.of(x, fn, depth + 1) for x in e.elts]
        return [Origin.BUSINESS]

    def _single_assignment(self, fn: Function, name: str) -> ast.expr | None:
        table = self._assignments.get(id(fn))
        if table is None:
            table = {}
            for node in ast.walk(fn.node):
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    single = isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr))
                    for t in targets:
                        if isinstance(t, ast.Name):
                            seen = t.id in table
                            table[t.id] = None if (seen or not single) else node.value
            self._assignments[id(fn)] = table
        return table.get(name)


def _is_context_call(m: Model, e: ast.expr, fn: Function, method: str) -> bool:
    return (
        isinstance(e, ast.Call)
        and isinstance(e.func, ast.Attribute)
        and e.func.attr == method
        and m.context_of(e.func.value, fn) is not None
    )
