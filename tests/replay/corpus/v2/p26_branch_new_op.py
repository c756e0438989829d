"""An operation added inside one branch, before the second suspension point."""

import restate

svc = restate.Service("P26_branch_new_op")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if arg == "x":
        await ctx.run_typed("check", lambda: None)
        b = await ctx.run_typed("b", lambda: "b")
    else:
        b = "b"
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c
