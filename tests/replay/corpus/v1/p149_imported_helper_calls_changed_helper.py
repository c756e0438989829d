"""Computed on purpose: the value stored is computed by a function of another module of the
project (`from .shared_text import shout`), whose own body stays as it was and calls a helper of
its module (`_loud`) whose body v2 changes (`upper` to `lower`). The value replay computes is
another, a 570 at the set for the invocations that had made it. rea read the called function's
own code only and said compatible; it must say unknown, naming `_loud`."""

import restate

from .shared_text import shout

svc = restate.VirtualObject("P149_imported_helper_calls_changed_helper")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("shout", shout(name))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
