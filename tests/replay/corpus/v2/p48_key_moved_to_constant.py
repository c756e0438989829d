"""A state key and a run name moved into module constants that hold the same strings: the
same journal to replay."""

import restate

svc = restate.VirtualObject("P48_key_moved_to_constant")

STATUS = "status"
PUBLISH = "publish"


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    ctx.set(STATUS, "started")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed(PUBLISH, lambda: first)
    await resumed  # park 1
    b = await ctx.run_typed("b", lambda: "b")
    ctx.set(STATUS, "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed(PUBLISH, lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return b + c
