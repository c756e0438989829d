"""Computed on purpose: the value stored is set under a condition (`if len(name) > 2: limit =
5`), and v2 changes only the condition (`> 2` to `> 5`). For the input "ann" replay computes
another value, a 570 at the set for the invocations that had made it. rea read a local as the
values assigned to it, not the tests they run under, and said compatible; it must say unknown."""

import restate

# input: "ann"

svc = restate.VirtualObject("P162_condition_of_a_value_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    limit = 1
    if len(name) > 2:
        limit = 5
    ctx.set("limit", limit)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
