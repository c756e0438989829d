"""A control: a run's retry options changed (not compared: only its name is)."""

import restate
from restate import RunOptions

svc = restate.VirtualObject("P117_run_retry_options_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.run_typed("a", lambda: "a", RunOptions(max_attempts=5))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
