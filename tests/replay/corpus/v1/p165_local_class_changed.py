"""Computed on purpose: the value stored is a class attribute of a class defined inside the
handler (`class Limits: daily = 3`, read as `Limits.daily`), and v2 changes only that class
(3 to 4). The value replay computes is another, a 570 at the set for the invocations that had
made it. rea read a local class by its name alone and said compatible; it must say unknown."""

import restate

# input: "ann"

svc = restate.VirtualObject("P165_local_class_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    class Limits:
        daily = 3

    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("daily", Limits.daily)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
