"""The value written to state changed (values are compared)."""

import restate

svc = restate.VirtualObject("P34_object_set_value")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    ctx.set("status", "started")
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
