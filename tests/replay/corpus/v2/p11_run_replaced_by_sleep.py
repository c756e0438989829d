"""A run replaced by a sleep (a different operation type)."""

from datetime import timedelta

import restate

svc = restate.Service("P11_run_replaced_by_sleep")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.sleep(timedelta(milliseconds=10))
    b = "b"
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c
