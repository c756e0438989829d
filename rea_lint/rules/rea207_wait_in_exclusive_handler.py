"""REA207 wait-in-exclusive-handler: an exclusive handler waits for someone else to answer.

An exclusive Virtual Object handler holds its key's lock until it returns. Reported, when the
context is exclusive (an exclusive handler's, or a parameter annotated `ObjectContext`):
`await` of an awakeable's future (the second value of `ctx.awakeable()`: unpacked, or `[1]`),
of a durable promise (`ctx.promise(...)` itself, its `.value()`, directly or through a local),
or of `restate.select/gather/wait_completed` given one, and
`async for ... in restate.as_completed(...)` given one. `ctx.sleep` is REA206's.
"""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, HandlerKind, Model, source_text
from rea_lint.rules.base import Checker, method_calls
from rea_lint.rules.rea206_sleep_in_exclusive_handler import too_short_to_hold

COMBINATORS = frozenset({"select", "gather", "wait_completed", "as_completed"})
_OBJ = "import restate\nrides = restate.VirtualObject('ride')\n@rides.handler()\nasync def match(ctx: restate.ObjectContext):\n"


class WaitInExclusiveHandler(Checker):
    code = "REA207"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        if next(iter(method_calls(model, model.handler_nodes, ("awakeable", "promise"))), None) is None:
            return  # nothing to wait for (the common case: no awakeable, no promise)
        # Only a function with an exclusive context, its own or an enclosing function's, can
        # wait: every name `_Waits` tracks is bound from such a context's call, in that
        # function or (a local read from an enclosing scope) in one nested in it.
        relevant = {id(fn) for fn in model.functions if fn.is_handler_code and _waits_possible(fn)}
        if not relevant:
            return
        waits = _Waits(model)
        for stmts, fn in model.handler_segments(ast.Assign):
            if id(fn) in relevant:
                for stmt in stmts:
                    waits.bind(stmt, fn)
        for fn_nodes, fn in model.handler_segments(ast.Await):
            if id(fn) in relevant:
                for node in fn_nodes:
                    subject = waits.subject(node.value, fn)
                    if subject is not None:
                        yield self.report(node, subject=subject, ctx=fn.context_name())
        for loops, fn in model.handler_segments(ast.AsyncFor):
            if id(fn) in relevant:
                for loop in loops:
                    subject = waits.subject(loop.iter, fn, iterating=True)
                    if subject is not None:
                        yield self.report(loop, subject=subject, ctx=fn.context_name())

    invalid = (
        _OBJ + "    driver_id, driver = ctx.awakeable()\n    ctx.object_send(notify, key='drivers', arg=driver_id)\n"
        "    return await driver\n",
        _OBJ + "    aid, answer = ctx.awakeable()\n    done = await restate.select(answer=answer, timeout=ctx.sleep(timedelta(hours=1)))\n",
        _OBJ + "    answer = ctx.promise('answer').value()\n    return await answer\n",
        "import restate\nasync def wait_for_driver(ctx: restate.ObjectContext) -> str:\n"
        "    _id, fut = ctx.awakeable()\n    return await fut\n",
    )
    valid = (
        "import restate\nwf = restate.Workflow('ride')\n@wf.main()\nasync def run(ctx: restate.WorkflowContext):\n"
        "    return await ctx.promise('driver').value()\n",
        "import restate\nrides = restate.VirtualObject('ride')\n@rides.handler(kind='shared')\n"
        "async def peek(ctx: restate.ObjectSharedContext):\n    _id, fut = ctx.awakeable()\n    return await fut\n",
        _OBJ + "    driver_id = ctx.awakeable()[0]\n    ctx.set('awakeable', driver_id)\n"
        "    ctx.object_send(notify, key='drivers', arg=driver_id)\n",
        _OBJ + "    await restate.gather(ctx.object_call(a, key='k', arg=1), ctx.object_call(b, key='k', arg=2))\n",
        "import restate\nasync def wait_for_driver(ctx: restate.ObjectContext | restate.Context) -> str:\n"
        "    _id, fut = ctx.awakeable()\n    return await fut\n",
        # a poll: the zero timeout wins at once if nobody has answered, and the lock goes on
        "import restate\nfrom datetime import timedelta\n" + _OBJ.split("\n", 1)[1]
        + "    aid, answer = ctx.awakeable()\n    got = await restate.select(answer=answer, timeout=ctx.sleep(timedelta(seconds=0)))\n",
    )


def _waits_possible(fn: Function) -> bool:
    """Has ``fn`` or a function enclosing it an exclusive context?"""
    scope: Function | None = fn
    while scope is not None:
        if any(c.kind is HandlerKind.EXCLUSIVE for c in scope.contexts.values()):
            return True
        scope = scope.parent
    return False


class _Waits:
    """Which awaited expressions wait for an answer, on an exclusive context."""

    def __init__(self, model: Model) -> None:
        self.m = model
        self.awakeables: set[tuple[int, str]] = set()
        """(function, name) bound to an awakeable's future on an exclusive context."""
        self.promises: set[tuple[int, str]] = set()
        """(function, name) bound to `ctx.promise(...)` on an exclusive context."""
        self.pairs: set[tuple[int, str]] = set()
        """(function, name) bound to the whole `ctx.awakeable()` pair (`aw[1]` is the future)."""
        self.rebound: set[tuple[int, str]] = set()

    def _exclusive_call(self, node: ast.expr, fn: Function, method: str) -> bool:
        """`<ctx>.<method>(...)` on an exclusive context."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method):
            return False
        ctx = self.m.context_of(node.func.value, fn)
        return ctx is not None and ctx.kind is HandlerKind.EXCLUSIVE

    def bind(self, stmt: ast.Assign, fn: Function) -> None:
        value = stmt.value
        for target in stmt.targets:
            if isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2 and isinstance(target.elts[1], ast.Name):
                key = (id(fn), target.elts[1].id)
                if self._exclusive_call(value, fn, "awakeable"):
                    self.awakeables.add(key)
                else:
                    self.rebound.add(key)
            elif isinstance(target, ast.Name):
                key = (id(fn), target.id)
                if self._exclusive_call(value, fn, "promise"):
                    self.promises.add(key)
                elif self._exclusive_call(value, fn, "awakeable"):
                    self.pairs.add(key)
                elif self._waits(value, fn):  # `v = p.value()`, `wake = ctx.awakeable()[1]`
                    self.awakeables.add(key)
                else:
                    self.rebound.add(key)

    def _bound(self, name: str, fn: Function, names: set[tuple[int, str]]) -> bool:
        """Is ``name``, where it is bound (this function or an enclosing one), one of ``names``
        and nothing else?"""
        scope: Function | None = fn
        while scope is not None:
            if name in scope.local_names:
                key = (id(scope), name)
                return key in names and key not in self.rebound
            scope = scope.parent
        return False

    def _short_sleep(self, node: ast.expr, fn: Function) -> bool:
        """`<ctx>.sleep(<literal>)` too short to hold the lock (REA206's reading, `too_short_to_hold`)."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sleep"):
            return False
        return self.m.context_of(node.func.value, fn) is not None and too_short_to_hold(self.m, node, fn)

    def _waits(self, node: ast.expr, fn: Function) -> bool:
        if isinstance(node, ast.Name):  # a future, or a promise handle (it is awaitable itself)
            return self._bound(node.id, fn, self.awakeables) or self._bound(node.id, fn, self.promises)
        if self._exclusive_call(node, fn, "promise"):  # `await ctx.promise("p")`
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == 1:
            pair = node.value  # `ctx.awakeable()[1]`, `aw[1]`
            if isinstance(pair, ast.Name):
                return self._bound(pair.id, fn, self.pairs)
            return self._exclusive_call(pair, fn, "awakeable")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "value" and not node.args:
            receiver = node.func.value
            if isinstance(receiver, ast.Name):
                return self._bound(receiver.id, fn, self.promises)
            return self._exclusive_call(receiver, fn, "promise")
        return False

    def subject(self, node: ast.expr, fn: Function, iterating: bool = False) -> str | None:
        """How the awaited (or, ``iterating``, async-iterated) expression reads, if it waits."""
        if not iterating and self._waits(node, fn):
            return source_text(node)
        if isinstance(node, ast.Call):
            symbol = self.m.restate_symbol(self.m.call_target(node, fn))
            if symbol in COMBINATORS and (symbol == "as_completed") == iterating:
                members = [*node.args, *(k.value for k in node.keywords)]
                members = [m.value if isinstance(m, ast.Starred) else m for m in members]
                if symbol == "select" and any(self._short_sleep(m, fn) for m in members):
                    return None  # the first to finish wins: a zero (or short) timeout bounds the wait
                for m in members:
                    elts = m.elts if isinstance(m, (ast.List, ast.Tuple)) else [m]
                    if any(self._waits(e, fn) for e in elts):
                        return source_text(node)
        return None
