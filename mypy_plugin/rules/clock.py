"""REA112 clock-units: the seconds `await ctx.time()` returns, used as milliseconds or nanoseconds.

The origin is typed (the hook fires on a context's `time()`), the units are read from names:
the value bound to a name ending `_ms/_millis/_msec/_ns`, or added to, subtracted from or
compared with a name or attribute that ends so (`+=`/`-=` onto one included), directly or
through the one local it is bound to (bound once, or stepped in place: the first
`now -= WINDOW_MS` after `now = await ctx.time()` still holds the seconds, as the linter reads it).
"""

from __future__ import annotations

from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    CallExpr,
    ComparisonExpr,
    Expression,
    MemberExpr,
    NameExpr,
    OperatorAssignmentStmt,
    OpExpr,
)

from mypy_plugin.index import ModuleIndex
from rea_lint.tables import UNIT_SUFFIXES

__all__ = ["clock_unit_misuse"]


def _unit_name(expr: Expression) -> str | None:
    name = expr.name if isinstance(expr, (NameExpr, MemberExpr)) else None
    return name if name is not None and name.lower().endswith(UNIT_SUFFIXES) else None


def _combined_with_units(index: ModuleIndex, value: Expression) -> str | None:
    """The unit-named other side when ``value`` is an operand of `+`/`-` or a comparison, or
    what `+=`/`-=` adds to a unit-named name (`elapsed_ms += await ctx.time()`)."""
    parent = index.parent.get(value)
    if isinstance(parent, OpExpr) and parent.op in ("+", "-"):
        return _unit_name(parent.right if parent.left is value else parent.left)
    if isinstance(parent, OperatorAssignmentStmt) and parent.op in ("+", "-") and parent.rvalue is value:
        return _unit_name(parent.lvalue)
    if isinstance(parent, ComparisonExpr):
        return next((u for u in map(_unit_name, (o for o in parent.operands if o is not value)) if u), None)
    return None


def clock_unit_misuse(index: ModuleIndex, call: CallExpr) -> str | None:
    """REA112 for a context's `time()` call: the unit-named name it meets, if any."""
    value = index.parent.get(call)
    if not isinstance(value, AwaitExpr):
        return None
    unit = _combined_with_units(index, value)
    if unit is not None:
        return unit
    stmt = index.parent.get(value)
    if not isinstance(stmt, AssignmentStmt) or stmt.rvalue is not value or len(stmt.lvalues) != 1:
        return None
    target = stmt.lvalues[0]
    if not isinstance(target, NameExpr):
        return None
    if _unit_name(target):
        return target.name
    if index.single_value(target) is not value:
        # stepped in place (`now -= WINDOW_MS`): its first step still holds the raw value, as
        # the linter reads it; other bindings: which value reaches a use is not known
        step = index.first_step(stmt, target.name)
        return _unit_name(step.rvalue) if step is not None and step.op in ("+", "-") else None
    return next((u for u in (_combined_with_units(index, use) for use in index.loads_of(stmt, target.name)) if u), None)
