"""A branch condition inverted: the replay takes the other branch."""

import restate

svc = restate.Service("P24_branch_condition")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if arg == "x":
        b = await ctx.run_typed("yes", lambda: "b")
    else:
        b = await ctx.run_typed("no", lambda: "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c
