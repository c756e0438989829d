"""clear_all inserted before the first suspension point."""

import restate

svc = restate.VirtualObject("P37_object_clear_all_inserted")


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
