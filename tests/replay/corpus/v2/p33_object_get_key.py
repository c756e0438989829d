"""A state read's key changed between the suspension points."""

import restate

svc = restate.VirtualObject("P33_object_get_key")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.get("beta", type_hint=str) or "b"
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c
