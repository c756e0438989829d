"""Computed on purpose: the value stored is read from a table imported from another module of
the project (`from .shared_config import RATES`), and v2 changes only that table. The value
replay computes is another, a 570 at the set for the invocations that had made it. rea read only
the imported name and said compatible; it must say unknown, naming `RATES`."""

import restate

from .shared_config import RATES

# input: "standard"

svc = restate.VirtualObject("P155_imported_table_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, tier: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("rate", RATES[tier])
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return tier
