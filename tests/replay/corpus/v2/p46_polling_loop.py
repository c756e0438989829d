"""A polling loop (`while await ctx.run_typed(...) == "PENDING": await ctx.sleep(...)`): the
condition's run journals before each iteration and after the last; a run inserted after
the loop, between the two suspension points."""

from datetime import timedelta

import restate

svc = restate.Service("P46_polling_loop")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    polls = 0
    while await ctx.run_typed("status", lambda: "DONE" if polls else "PENDING") == "PENDING":
        polls += 1
        await ctx.sleep(timedelta(milliseconds=10))
    await ctx.run_typed("audit", lambda: "x")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return f"{polls}{c}"
