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

from typing import Callable, Iterator, Mapping

from mypy.nodes import CallExpr, Expression, FuncItem, IndexExpr, MemberExpr, NameExpr, RefExpr, TypeInfo, Var

from mypy_plugin.index import RUN_METHODS, ModuleIndex, action_of, argument
from mypy_plugin.rules.calls import CallFacts, forbidden_codes
from mypy_plugin.rules.misuse import HELPERS, declared_not_callable
from mypy_plugin.targets import UNTYPED_IO_FACTORIES
from rea_lint.tables import CLIENT_TYPES, DATA_ATTRIBUTES, DERIVING_METHODS, SESSION_MAKERS

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


def _resolved_name(callee: Expression) -> str | None:
    """The name semantic analysis gave a callee in a body mypy does not check: a function's or a
    module attribute's (`time.time`), or a class's own attribute (`datetime.datetime.now`,
    `date.today` after `from datetime import date`: an attribute of a class has no full name
    of its own)."""
    if not isinstance(callee, RefExpr):
        return None
    if callee.fullname:
        return callee.fullname
    if isinstance(callee, MemberExpr) and isinstance(callee.expr, RefExpr) and isinstance(callee.expr.node, TypeInfo):
        return f"{callee.expr.node.fullname}.{callee.name}"
    return None


def _made_by_factory(receiver: Expression, index: ModuleIndex, imports: Mapping[str, str], depth: int = 0) -> bool:
    """The receiver is a client/session/file an untyped library's factory made, here or at module
    level, or one handed out by such a client, as the linter follows them: a sub-client
    (`client.chat.completions`, `mongo["shop"]`), a connection or cursor (`engine.connect()`),
    a session (`Session(engine)`, `SessionLocal()` of a `sessionmaker`)."""
    if depth > 8:
        return False
    if isinstance(receiver, MemberExpr):
        return receiver.name not in DATA_ATTRIBUTES and _made_by_factory(receiver.expr, index, imports, depth + 1)
    if isinstance(receiver, IndexExpr):
        return _made_by_factory(receiver.base, index, imports, depth + 1)
    made = receiver if isinstance(receiver, CallExpr) else index.single_value(receiver)
    if not isinstance(made, CallExpr):
        return False
    name = _dotted(made.callee, imports)
    if name in UNTYPED_IO_FACTORIES or name in CLIENT_TYPES:
        return True
    callee = made.callee
    if isinstance(callee, MemberExpr) and callee.name in DERIVING_METHODS:
        return _made_by_factory(callee.expr, index, imports, depth + 1)
    if isinstance(callee, NameExpr):
        maker = index.single_value(callee)
        return isinstance(maker, CallExpr) and _dotted(maker.callee, imports) in SESSION_MAKERS
    return False


def untyped_calls(
    func: FuncItem, index: ModuleIndex, imports: Mapping[str, str], extra: Mapping[str, tuple[str, ...]],
    unchecked: bool = False, contexts: Callable[[], set[Var]] = set,
) -> Iterator[tuple[str, Expression]]:
    """(code, node) for each call of `func`'s own body that breaks a call rule through an untyped
    library, or anywhere in it when mypy does not check the body (`unchecked`); and REA208 for
    the action of a run no hook sees, when it is a call whose callee's declaration gives no
    callable: rea_runtime's run helpers through an import mypy could not follow and, in a body
    mypy does not check, every run (`ctx.run_typed(...)` on one of ``contexts()``, the
    handler's context parameters)."""
    if not imports and not unchecked:
        return
    context_vars: set[Var] | None = None
    for call in index.own_calls(func):
        callee = call.callee
        name = _dotted(callee, imports)
        if name is None and unchecked:
            name = _resolved_name(callee)
        action: Expression | None = None
        if name is not None:
            for code in forbidden_codes(CallFacts(call, {name}, None, extra)):
                yield code, call
            if name in HELPERS:
                action = argument(call, HELPERS[name], "action")
        elif isinstance(callee, MemberExpr):
            if unchecked and callee.name in RUN_METHODS and isinstance(callee.expr, NameExpr):
                if context_vars is None:
                    context_vars = contexts()
                if callee.expr.node in context_vars:
                    action = action_of(call)
            if _made_by_factory(callee.expr, index, imports):
                yield "REA108", call
        if isinstance(action, CallExpr) and declared_not_callable(action):
            yield "REA208", action
