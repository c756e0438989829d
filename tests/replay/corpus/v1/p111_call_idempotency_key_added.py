"""An idempotency key added to a call (the call's idempotency key is compared)."""

import restate

svc = restate.VirtualObject("P111_call_idempotency_key_added")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.service_call(echo, "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg


callee = restate.Service("P111_call_idempotency_key_addedCallee")


@callee.handler()
async def echo(ctx: restate.Context, value: str) -> str:
    return value
