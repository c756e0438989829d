"""Computed on purpose: the value set to state is a list mutated in place first
(`items.append("c")`); v2 drops the mutation, so the value's bytes differ. rea cannot tell bytes
from a computation: it must say unknown (never compatible); the server shows the value is compared."""

import restate

svc = restate.VirtualObject("P53_mutation_before_set")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    items = ["b"]
    items.append("c")
    ctx.set("items", items)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + "".join(items) + c
