"""An async helper called without `await` (a bug: its coroutine never runs, and journals
nothing); the fix awaits it, which inserts its operation for invocations that passed the call."""

import restate

svc = restate.Service("P49_unawaited_helper")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await audit(ctx, arg)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return c


async def audit(ctx: restate.Context, arg: str) -> None:
    await ctx.run_typed("audit", lambda: arg)
