"""A helper sets a value from a parameter the handler does not pass (`def remember(ctx,
limit=3)`, called `remember(ctx)`), and v2 changes only the default (3 to 5). Replay sets
another value, a 570 at the set for the invocations that had made it. rea read a parameter the
call does not pass as the parameter alone and said compatible; the default is a literal, so
it is breaking at the set (3 != 5)."""

import restate

# input: "ann"

svc = restate.VirtualObject("P160_helper_default_changed")


async def remember(ctx: restate.ObjectContext, limit: int = 3) -> None:
    ctx.set("limit", limit)


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await remember(ctx)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
