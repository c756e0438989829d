"""A control: an empty `headers={}` given to a call that had none (restate-sdk 1.3 sends None as
no headers, as {}): the same call, and every invocation completes."""

import restate

svc = restate.VirtualObject("P114_call_headers_emptied")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.service_call(echo, "b", headers={})
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg


callee = restate.Service("P114_call_headers_emptiedCallee")


@callee.handler()
async def echo(ctx: restate.Context, value: str) -> str:
    return value
