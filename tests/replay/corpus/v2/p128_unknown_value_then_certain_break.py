"""A value rea diff cannot compare comes first (`ctx.set("label", label(name))`, whose imported
helper's body v2 changes, as in p127), and a certain break after it (the run "b" renamed "c").
The invocations that had run "b" break either way (here at the set, the first mismatch); those
that had made only the set may break there (here they do: 570). `rea diff` says breaking at the
run, and that invocations may break from the set on (`may_break_earlier`); it said unknown and
hid the certain break before."""

import restate

from .shared_text import label

svc = restate.VirtualObject("P128_unknown_value_then_certain_break")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("label", label(name))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    await ctx.run_typed("c", lambda: "c")
    third, resumed_last = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: third)
    await resumed_last  # park 3
    return name
