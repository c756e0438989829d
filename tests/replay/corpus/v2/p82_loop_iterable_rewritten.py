"""A loop over a run's result rewritten `for s in parts` -> `for s in list(parts)`: the same
iterations (compatible). rea diff called it a certain break where "the new code ends"."""

import restate

svc = restate.Service("P82_loop_iterable_rewritten")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    parts = await ctx.run_typed("split", lambda: ["a", "b"])
    for part in list(parts):
        await ctx.run_typed("part", lambda: part)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    c = await ctx.run_typed("c", lambda: "c")
    return f"{len(parts)}{c}"
