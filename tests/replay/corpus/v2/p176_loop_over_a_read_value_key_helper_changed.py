"""Computed on purpose: a loop over a value read from state, whose key a helper computes, and
v2 changes the helper (for the input "ann" another key, a 570 at the read for the invocations
that had made it). rea cannot tell the key, so unknown; but where the read matches, the loop
runs as often as the value the journal recorded has items, which the journal decides. rea read
the loop as a test no journal decides, and said breaking along it (gvdongen/resilient-research-
agent 7cf4f5a2: a loop over a call's result whose argument's computation changed)."""

import restate

# input: "ann"

svc = restate.VirtualObject("P176_loop_over_a_read_value_key_helper_changed")


def items_key(name: str) -> str:
    return "items" if len(name) > 5 else "list"


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    items = await ctx.get(items_key(name)) or ["a", "b"]
    for item in items:
        await ctx.run_typed("step", lambda: item)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
