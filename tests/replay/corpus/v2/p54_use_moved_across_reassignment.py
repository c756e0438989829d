"""Computed on purpose: a run's name is a local reassigned before the run (`step = "b"`, then
`step = "b2"`); v2 runs before the reassignment, so the run is named "b", not "b2". rea cannot tell
which assignment reaches the use: it must say unknown (never compatible); the server shows it breaks."""

import restate

svc = restate.Service("P54_use_moved_across_reassignment")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    pre = await ctx.run_typed("pre", lambda: "p")  # (the run below is index 4: no other pair's sample fits it)
    step = "b"
    b = await ctx.run_typed(step, lambda: "b")
    step = "b2"
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + pre + b + c
