"""A call's two headers written in the other order."""

import restate

svc = restate.VirtualObject("P112_call_headers_reordered")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.service_call(echo, "b", headers={"x-b": "2", "x-a": "1"})
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg


callee = restate.Service("P112_call_headers_reorderedCallee")


@callee.handler()
async def echo(ctx: restate.Context, value: str) -> str:
    return value
