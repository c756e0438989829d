"""REA106 asyncio-combinator: asyncio tasks and combinators race outside the journal."""

from __future__ import annotations

from rea_lint.rules.base import CallRule

_HEADER = "import restate, asyncio\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"


class AsyncioCombinator(CallRule):
    code = "REA106"
    targets = frozenset(
        {
            "asyncio.gather",
            "asyncio.wait",
            "asyncio.wait_for",
            "asyncio.as_completed",
            "asyncio.create_task",
            "asyncio.ensure_future",
            "asyncio.shield",
            "asyncio.timeout",
            "asyncio.timeout_at",
            "asyncio.TaskGroup",
            "asyncio.tasks.gather",
            "asyncio.tasks.wait",
            "asyncio.tasks.create_task",
        }
    )
    invalid = (
        _HEADER + "    a = ctx.service_call(f, 1)\n    b = ctx.service_call(g, 2)\n    return await asyncio.gather(a, b)\n",
        _HEADER + "    async with asyncio.TaskGroup() as tg:\n        tg.create_task(work())\n",
        "import restate\nfrom asyncio import wait_for\nasync def h(ctx: restate.Context):\n"
        "    return await wait_for(ctx.service_call(f, 1), 5)\n",
    )
    valid = (
        _HEADER + "    a = ctx.service_call(f, 1)\n    b = ctx.service_call(g, 2)\n    return await restate.gather(a, b)\n",
        _HEADER + "    return await ctx.run_typed('x', fetch_all)\n",
        "import asyncio\nasync def plain():\n    return await asyncio.gather(a(), b())\n",
    )
