"""An awakeable rejected with another failure code."""

import restate

svc = restate.VirtualObject("P116_awakeable_reject_code_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    other_id, _ = ctx.awakeable(type_hint=str)
    ctx.reject_awakeable(other_id, "no", 400)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
