"""A called handler's function renamed, its registered name kept (`handler("echo")`): Restate
sees the same handler, so nothing in flight breaks."""

import restate

svc = restate.Service("P52_handler_function_renamed")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.service_call(echo_value, "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c


callee = restate.Service("P52_handler_function_renamedCallee")


@callee.handler("echo")
async def echo_value(ctx: restate.Context, value: str) -> str:
    return value
