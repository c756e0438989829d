"""Operations appended after every old path ends."""

import restate

from tests.replay.stall import stall

svc = restate.Service("P09_append_steps")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.run_typed("b", lambda: "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: stall("c"))
    d = await ctx.run_typed("d", lambda: "d")
    await ctx.run_typed("notify", lambda: None)
    return a + b + c + d
