"""REA206 sleep-in-exclusive-handler: a durable sleep holds the key's lock for its duration."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import HandlerKind, Model, call_name
from rea_lint.rules.base import Checker, method_calls

_OBJ = "import restate\nfrom datetime import timedelta\nobj = restate.VirtualObject('o')\n"

_SECONDS = {"weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0,
            "milliseconds": 0.001, "microseconds": 0.000001}
_POSITIONAL = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")


class SleepInExclusiveHandler(Checker):
    code = "REA206"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        minimum = model.config.min_sleep_seconds
        for call, fn in method_calls(model, model.handler_nodes, ("sleep",)):
            ctx = model.context_of(call.func.value, fn)  # type: ignore[attr-defined]
            if ctx is None or ctx.kind is not HandlerKind.EXCLUSIVE:
                continue
            if too_short_to_hold(model, call, fn):
                continue
            yield self.report(call, subject=call_name(call), ctx=ctx.name)

    invalid = (
        _OBJ + "@obj.handler()\nasync def h(ctx: restate.ObjectContext):\n    await ctx.sleep(timedelta(hours=1))\n",
        "import restate\nasync def h(ctx: restate.ObjectContext):\n    await ctx.sleep(delay)\n",
    )
    valid = (
        _OBJ + "@obj.handler(kind='shared')\nasync def h(ctx: restate.ObjectSharedContext):\n"
        "    await ctx.sleep(timedelta(hours=1))\n",
        "import restate\nfrom datetime import timedelta\nwf = restate.Workflow('w')\n@wf.main()\n"
        "async def run(ctx: restate.WorkflowContext):\n    await ctx.sleep(timedelta(days=1))\n",
        "import restate\nfrom datetime import timedelta\nsvc = restate.Service('s')\n@svc.handler()\n"
        "async def h(ctx: restate.Context):\n    await ctx.sleep(timedelta(minutes=5))\n",
        # a sleep that ends at once holds the lock for nothing (a poll's zero timeout)
        _OBJ + "@obj.handler()\nasync def h(ctx: restate.ObjectContext):\n    await ctx.sleep(timedelta(seconds=0))\n",
        # a helper for either kind of handler: whether a lock is held is not known here
        "import restate\nfrom datetime import timedelta\n"
        "async def pause(ctx: restate.ObjectContext | restate.Context):\n    await ctx.sleep(timedelta(hours=1))\n",
    )


def too_short_to_hold(model: Model, sleep: ast.Call, fn: object) -> bool:
    """Is ``sleep`` (`ctx.sleep(...)`) a literal duration that holds no lock worth a warning:
    zero or less (a sleep that ends at once, `timedelta(seconds=0)`), or under
    `min-sleep-seconds`? (REA207 asks too: a `restate.select` it bounds waits no longer.)"""
    arg = sleep.args[0] if sleep.args else next((k.value for k in sleep.keywords if k.arg in ("delta", "duration")), None)
    seconds = literal_seconds(model, arg, fn) if arg is not None else None
    return seconds is not None and (seconds <= 0 or seconds < model.config.min_sleep_seconds)


def literal_seconds(model: Model, node: ast.expr, fn: object) -> float | None:
    """The length of `timedelta(<number literals>)` in seconds; None for anything computed."""
    if not isinstance(node, ast.Call) or model.qualify(node.func, fn) != "datetime.timedelta":  # type: ignore[arg-type]
        return None
    total = 0.0
    pairs = [*zip(_POSITIONAL, node.args), *((k.arg, k.value) for k in node.keywords)]
    if len(node.args) > len(_POSITIONAL):
        return None
    for name, value in pairs:
        number = _number(value)
        if name not in _SECONDS or number is None:
            return None
        total += number * _SECONDS[name]
    return total


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None
