"""REA112 clock-units: the seconds from `await ctx.time()` mixed with milliseconds or nanoseconds.

`ctx.time()` journals `time.time()`, a float of seconds. Reported, in the same function: the
awaited value (directly, or through a local name bound to it) bound to a name ending in
`_ms`/`_millis`/`_msec`/`_ns`, or added to, subtracted from or compared with such a name,
attribute or constant (`+=` / `-=` included). A value that was converted first (`await ctx.time() * 1000`) is not
the raw value, and is not reported. The finding points at the `ctx.time()` call, once.
"""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, Model
from rea_lint.rules.base import Checker, method_calls
from rea_lint.tables import UNIT_SUFFIXES

_HEADER = "import restate\nlimits = restate.VirtualObject('limits')\nWINDOW_MS = 60_000\n@limits.handler()\nasync def hit(ctx: restate.ObjectContext):\n"


def unit_name(node: ast.expr) -> str | None:
    """The name of a Name/Attribute whose name says milliseconds or nanoseconds."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    return name if name is not None and name.lower().endswith(UNIT_SUFFIXES) else None


class ClockUnits(Checker):
    code = "REA112"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        # The `await ctx.time()` expressions, by id, with their call and function.
        awaited: dict[int, tuple[ast.Call, Function]] = {}
        for call, fn in method_calls(model, model.handler_nodes, ("time",)):
            if not call.args and not call.keywords and model.context_of(call.func.value, fn) is not None:  # type: ignore[attr-defined]
                awaited[id(call)] = (call, fn)
        if not awaited:
            return
        times: dict[int, tuple[ast.Call, Function]] = {}
        callers = {id(fn) for _c, fn in awaited.values()}
        for fn_nodes, fn in model.handler_segments(ast.Await):
            if id(fn) not in callers:
                continue  # (an await of a call is in the call's function)
            for node in fn_nodes:
                found = awaited.get(id(node.value))
                if found is not None:
                    times[id(node)] = found
        if not times:
            return
        functions = {id(fn) for _c, fn in times.values()}
        # Local names bound to the raw value: (function, name) -> the call; a name bound
        # twice is dropped (rea cannot tell which value reaches a use).
        names: dict[tuple[int, str], ast.Call | None] = {}
        reported: dict[int, tuple[ast.Call, Function, str]] = {}
        name = ast.Name

        def bind(target: ast.expr, value: ast.expr, fn: Function) -> None:
            found = times.get(id(value))  # (`_source` and `unit_name`, inlined: once per assignment)
            if found is not None:
                source: ast.Call | None = found[0]
            else:
                source = names.get((id(fn), value.id)) if type(value) is name else None
            kind = type(target)
            if kind is name:
                key = (id(fn), target.id)  # type: ignore[attr-defined]
                names[key] = source if key not in names else None
                if source is not None and target.id.lower().endswith(UNIT_SUFFIXES):  # type: ignore[attr-defined]
                    reported.setdefault(id(source), (source, fn, target.id))  # type: ignore[attr-defined]
            elif kind is ast.Attribute and source is not None and target.attr.lower().endswith(UNIT_SUFFIXES):  # type: ignore[attr-defined]
                reported.setdefault(id(source), (source, fn, target.attr))  # type: ignore[attr-defined]

        for stmts, fn in model.handler_segments(ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.AugAssign):
            if id(fn) not in functions:
                continue
            for stmt in stmts:
                if getattr(stmt, "value", None) is None:
                    continue
                if isinstance(stmt, ast.AugAssign):  # `elapsed_ms += await ctx.time()`, `now -= WINDOW_MS`
                    if isinstance(stmt.op, (ast.Add, ast.Sub)):
                        pair = (stmt.target, stmt.value)
                        unit = next((u for u in map(unit_name, pair) if u is not None), None)
                        for operand in pair:
                            source = self._source(operand, fn, times, names)
                            if source is not None and unit is not None:
                                reported.setdefault(id(source), (source, fn, unit))
                    if isinstance(stmt.target, ast.Name):
                        names[(id(fn), stmt.target.id)] = None  # no longer the raw value
                    continue
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]  # type: ignore[attr-defined]
                for target in targets:
                    bind(target, stmt.value, fn)  # type: ignore[attr-defined]
        for fn_nodes, fn in model.handler_segments(ast.BinOp, ast.Compare):  # type: ignore[assignment]
            if id(fn) not in functions:
                continue
            for node in fn_nodes:
                if isinstance(node, ast.BinOp):
                    if not isinstance(node.op, (ast.Add, ast.Sub)):
                        continue
                    operands = [node.left, node.right]
                else:
                    operands = [node.left, *node.comparators]  # type: ignore[attr-defined]
                unit = next((u for u in map(unit_name, operands) if u is not None), None)
                if unit is None:
                    continue  # (most: no operand named in a unit, so no source is looked up)
                for source in [self._source(o, fn, times, names) for o in operands]:
                    if source is not None:
                        reported.setdefault(id(source), (source, fn, unit))
        for call, fn, unit in sorted(reported.values(), key=lambda r: (r[0].lineno, r[0].col_offset)):
            yield self.report(call, subject=unit, ctx=fn.context_name())

    @staticmethod
    def _source(
        value: ast.expr, fn: Function, times: dict[int, tuple[ast.Call, Function]], names: dict[tuple[int, str], ast.Call | None]
    ) -> ast.Call | None:
        """The `ctx.time()` call whose raw awaited value ``value`` is, if it is one."""
        found = times.get(id(value))
        if found is not None:
            return found[0]
        if isinstance(value, ast.Name):
            return names.get((id(fn), value.id))
        return None

    invalid = (
        _HEADER + "    now_ms = await ctx.time()\n",
        _HEADER + "    now = await ctx.time()\n    expires = now + WINDOW_MS\n",
        _HEADER + "    started_ms = await ctx.get('started_ms', type_hint=int) or 0\n    if await ctx.time() - started_ms > 1000:\n        return\n",
        _HEADER + "    elapsed_ms = await ctx.get('elapsed_ms', type_hint=float) or 0.0\n    elapsed_ms += await ctx.time()\n",
    )
    valid = (
        _HEADER + "    now_ms = int(await ctx.time() * 1000)\n    expires = now_ms + WINDOW_MS\n",
        _HEADER + "    now = await ctx.time()\n    expires = now + WINDOW_MS / 1000\n",
        _HEADER + "    now = await ctx.time()\n    ttl_ms = 5000\n    return {'now': now, 'ttl_ms': ttl_ms}\n",
    )
