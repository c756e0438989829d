"""Computed on purpose: the value stored is read from a module table that a loop fills
(`for plan in PLANS: RATES[plan] = 10`), and v2 changes only the loop's body (10 to 20). The
value replay computes is another, a 570 at the set for the invocations that had made it. rea
read the table as its first assignment (`RATES = {}`) alone and said compatible; it must say
unknown, naming `RATES`."""

import restate

# input: "pro"

svc = restate.VirtualObject("P158_module_table_filled_by_loop_changed")

RATES: dict[str, int] = {}
for plan in ("basic", "pro"):
    RATES[plan] = 10


@svc.handler()
async def go(ctx: restate.ObjectContext, plan: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("rate", RATES[plan])
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return plan
