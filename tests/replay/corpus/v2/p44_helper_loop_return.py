"""An agent loop in a helper (`while True: ... if done: return`): a run inserted in the
handler after the helper returns, between the two suspension points."""

import restate

svc = restate.Service("P44_helper_loop_return")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    tries = await poll(ctx, 2)
    await ctx.run_typed("audit", lambda: "x")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return f"{tries}{c}"


async def poll(ctx: restate.Context, wanted: int) -> int:
    tries = 0
    while True:
        tries = await ctx.run_typed("try", lambda: tries + 1)
        if tries >= wanted:
            return tries
