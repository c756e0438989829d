"""A call's headers changed (the call's headers are compared)."""

import restate

svc = restate.VirtualObject("P110_call_headers_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.service_call(echo, "b", headers={"x-tenant": "a"})
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg


callee = restate.Service("P110_call_headers_changedCallee")


@callee.handler()
async def echo(ctx: restate.Context, value: str) -> str:
    return value
