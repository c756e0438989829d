"""A handler that calls another handler function directly with its context (the SDK's decorator
only wraps the call, so the callee journals in the caller's journal): a run inserted in the
callee breaks the caller's invocations that had passed that call."""

import restate

svc = restate.Service("P47_direct_handler_call")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    n = await count(ctx, arg)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return f"{n}{c}"


@svc.handler()
async def count(ctx: restate.Context, arg: str) -> int:
    return await ctx.run_typed("count", lambda: len(arg))
