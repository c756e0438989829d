"""A run inserted before the sleep an invocation is suspended in."""

from datetime import timedelta

import restate

svc = restate.Service("P16_sleep_park_insert")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    await ctx.run_typed("audit", lambda: "x")
    await ctx.sleep(timedelta(seconds=10))  # park 1
    b = await ctx.run_typed("b", lambda: "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c
