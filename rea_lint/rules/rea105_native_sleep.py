"""REA105 native-sleep: a native sleep cannot suspend the invocation and repeats on replay."""

from __future__ import annotations

from rea_lint.rules.base import CallRule

_HEADER = "import restate, time, asyncio\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"


class NativeSleep(CallRule):
    code = "REA105"
    transitive = True
    targets = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep"})
    invalid = (
        _HEADER + "    await asyncio.sleep(5)\n",
        _HEADER + "    time.sleep(1)\n",
        "import restate\nfrom asyncio import sleep as nap\nasync def h(ctx: restate.Context):\n    await nap(1)\n",
    )
    valid = (
        _HEADER + "    await ctx.sleep(timedelta(seconds=5))\n",
        _HEADER + "    await ctx.run_typed('wait', time.sleep, seconds=1)\n",
        _HEADER + "    def pause():\n        time.sleep(1)\n    await ctx.run('pause', pause)\n",
    )
