"""Computed on purpose: the value stored is set in a `match` case (`case "pro": limit = 10`),
and v2 changes only the case's pattern (`"pro"` to `"premium"`). For the input "pro" replay
computes another value, a 570 at the set for the invocations that had made it. rea read the
local as the values assigned to it, not the case they run in, and said compatible; it must say
unknown."""

import restate

# input: "pro"

svc = restate.VirtualObject("P167_match_case_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, plan: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    limit = 1
    match plan:
        case "premium":
            limit = 10
    ctx.set("limit", limit)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return plan
