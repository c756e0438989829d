"""A call's target handler changed."""

import restate

svc = restate.Service("P18_call_handler")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.service_call(shout, "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c


callee = restate.Service("P18_call_handlerCallee")


@callee.handler()
async def echo(ctx: restate.Context, value: str) -> str:
    return value


@callee.handler()
async def shout(ctx: restate.Context, value: str) -> str:
    return value.upper()


other = restate.Service("P18_call_handlerOther")


@other.handler(name="echo")
async def other_echo(ctx: restate.Context, value: str) -> str:
    return value
