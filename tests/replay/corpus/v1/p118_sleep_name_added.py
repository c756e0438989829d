"""A sleep given a name (a sleep's name is compared; none is "")."""

from datetime import timedelta

import restate

svc = restate.VirtualObject("P118_sleep_name_added")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.sleep(timedelta(milliseconds=1))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
