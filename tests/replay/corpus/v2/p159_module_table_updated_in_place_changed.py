"""Computed on purpose: the value stored is read from a module table that a statement of the
module changes in place (`LIMITS.update(trial=...)`), and v2 changes only that statement
(`"3d"` to `"7d"`). The value replay computes is another, a 570 at the set for the
invocations that had made it. rea read the table as its assignment alone and said compatible;
it must say unknown, naming `LIMITS`."""

import restate

# input: "trial"

svc = restate.VirtualObject("P159_module_table_updated_in_place_changed")

LIMITS = {"basic": "1d"}
LIMITS.update(trial="7d")


@svc.handler()
async def go(ctx: restate.ObjectContext, tier: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("limit", LIMITS[tier])
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return tier
