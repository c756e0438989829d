"""A run made through the SDK's accessor of the current context (`current_context()`, which
restate.ext's `restate_context()` returns) renamed: invocations that recorded it break.
rea diff did not see operations made through the accessor and called it compatible."""

import restate
from restate.extensions import current_context

svc = restate.Service("P84_context_accessor")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    city = await current_context().run_typed("geocode", lambda: "paris")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return city
