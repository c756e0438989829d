"""A state value None, then "" (the SDK writes None as no bytes, "" as the JSON string `""`)."""

import restate

svc = restate.VirtualObject("P120_state_none_then_empty")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("k", "")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
