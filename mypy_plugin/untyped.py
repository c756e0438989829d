"""Calls mypy calls no hook for, judged by name: into libraries it has no types for, and in
the bodies of unannotated functions, which it does not check.

`requests` without `types-requests`, or numpy where it is not installed, are `Any` to mypy:
it calls no plugin hook for `requests.get(url)` or `np.random.rand()`, so the type-based
rules never see them. mypy still knows which names came from an import it could not
follow (a suppressed import), so those calls are judged here the way the linter judges
every call: by their dotted name, plus the methods of a client or session such a library
created in handler code or at module level (`s = requests.Session(); s.get(url)`).

mypy skips the body of `async def greet(ctx, name):` (unless `check_untyped_defs`), but its
names are resolved all the same: `time.time()` there is judged by that resolved name.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from mypy.nodes import CallExpr, Expression, FuncItem, MemberExpr, NameExpr, RefExpr, Var

from mypy_plugin.index import ModuleIndex
from mypy_plugin.rules.calls import CallFacts, forbidden_codes
from mypy_plugin.targets import UNTYPED_IO_FACTORIES

__all__ = ["untyped_calls"]


def _dotted(expr: Expression, imports: Mapping[str, str]) -> str | None:
    """`np.random.rand` -> `numpy.random.rand` when `np` is a suppressed `import numpy as np`."""
    parts: list[str] = []
    while isinstance(expr, MemberExpr):
        parts.append(expr.name)
        expr = expr.expr
    if isinstance(expr, NameExpr) and expr.name in imports and isinstance(expr.node, Var) and expr.node.is_suppressed_import:
        return ".".join([imports[expr.name], *reversed(parts)])
    return None


def _made_by_factory(receiver: Expression, index: ModuleIndex, imports: Mapping[str, str]) -> bool:
    """The receiver is a client/session/file an untyped library's factory made, here or at module level."""
    made = receiver if isinstance(receiver, CallExpr) else index.single_value(receiver)
    return isinstance(made, CallExpr) and _dotted(made.callee, imports) in UNTYPED_IO_FACTORIES


def untyped_calls(
    func: FuncItem, index: ModuleIndex, imports: Mapping[str, str], extra: Mapping[str, tuple[str, ...]],
    unchecked: bool = False,
) -> Iterator[tuple[str, CallExpr]]:
    """(code, call) for each call of `func`'s own body that breaks a call rule through an untyped
    library, or anywhere in it when mypy does not check the body (`unchecked`)."""
    if not imports and not unchecked:
        return
    for call in index.own_calls(func):
        name = _dotted(call.callee, imports)
        if name is None and unchecked and isinstance(call.callee, RefExpr) and call.callee.fullname:
            name = call.callee.fullname
        if name is not None:
            for code in forbidden_codes(CallFacts(call, {name}, None, extra)):
                yield code, call
        elif isinstance(call.callee, MemberExpr) and _made_by_factory(call.callee.expr, index, imports):
            yield "REA108", call
