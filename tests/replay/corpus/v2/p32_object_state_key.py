"""A state key renamed in an object handler."""

import restate

svc = restate.VirtualObject("P32_object_state_key")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    ctx.set("state", "started")
    a = "a"
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.run_typed("b", lambda: "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c
