"""REA101 time-in-handler: clock reads in handler code differ on every replay."""

from __future__ import annotations

from rea_lint.rules.base import CallRule

_HEADER = "import restate, time, datetime\nsvc = restate.Service('s')\n"


class TimeInHandler(CallRule):
    transitive = True
    code = "REA101"
    targets = frozenset(
        {
            "time.time",
            "time.time_ns",
            "time.monotonic",
            "time.monotonic_ns",
            "time.perf_counter",
            "time.perf_counter_ns",
            "datetime.datetime.now",
            "datetime.datetime.utcnow",
            "datetime.datetime.today",
            "datetime.date.today",
        }
    )
    invalid = (
        _HEADER + "@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n    return time.time()\n",
        _HEADER + "@svc.handler()\nasync def h(ctx):\n    return datetime.datetime.now().isoformat()\n",
        "import restate\nfrom time import monotonic as mono\ndef helper(ctx: restate.Context):\n    return mono()\n",
    )
    valid = (
        _HEADER + "@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n    return await ctx.time()\n",
        _HEADER + "@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n"
        "    return await ctx.run_typed('now', lambda: time.time())\n",
        _HEADER + "STARTED = time.time()\ndef plain():\n    return time.time()\n",
    )
