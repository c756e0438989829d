"""Computed on purpose: the handler loads a list through a helper given the context
(`seen = await load_seen(ctx)`), appends to it and stores it; v2 appends a second item. The
stored list differs: a 570 at the set for the invocations that had made it. rea took a value an
awaited helper returns for an object that holds the context, left its mutations out of the value
and said compatible; it must say unknown."""

import restate

# input: "a"

svc = restate.VirtualObject("P152_mutation_of_helper_result_added")


async def load_seen(ctx: restate.ObjectContext) -> list[str]:
    return await ctx.get("seen", type_hint=list[str]) or []


@svc.handler()
async def go(ctx: restate.ObjectContext, item: str) -> int:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    seen = await load_seen(ctx)
    seen.append(item)
    ctx.set("seen", seen)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return len(seen)
