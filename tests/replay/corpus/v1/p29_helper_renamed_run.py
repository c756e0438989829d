"""A helper that receives the context renames its run."""

import restate

svc = restate.Service("P29_helper_renamed_run")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await charge(ctx, 5)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c


async def charge(ctx: restate.Context, amount: int) -> str:
    return await ctx.run_typed("charge", lambda: f"charged {amount}")
