"""An object call's key changed."""

import restate

svc = restate.Service("P23_call_key")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = str(await ctx.object_call(bump, key="left", arg=1))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c


counter = restate.VirtualObject("P23_call_keyCounter")


@counter.handler()
async def bump(ctx: restate.ObjectContext, by: int) -> int:
    value = (await ctx.get("n", type_hint=int) or 0) + by
    ctx.set("n", value)
    return value
