"""Computed on purpose: the value stored is set under a condition that reads a module value
(`if len(name) > SHORT: limit = 5`), and v2 changes only that value (`SHORT = 2` to 5). For
the input "ann" replay computes another value, a 570 at the set for the invocations that had
made it. rea read the condition by its text alone and said compatible; it must say unknown."""

import restate

# input: "ann"

svc = restate.VirtualObject("P163_value_a_condition_reads_changed")

SHORT = 5


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    limit = 1
    if len(name) > SHORT:
        limit = 5
    ctx.set("limit", limit)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
