"""A called handler's registered name changed: `handler("echo")` -> `handler("echoV2")` (the
SDK's first parameter of `handler()` is `name`), the function kept its name."""

import restate

svc = restate.Service("P51_positional_handler_name")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.service_call(echo_impl, "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c


callee = restate.Service("P51_positional_handler_nameCallee")


@callee.handler("echoV2")
async def echo_impl(ctx: restate.Context, value: str) -> str:
    return value
