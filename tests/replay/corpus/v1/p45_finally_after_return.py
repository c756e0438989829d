"""A `return` inside `try` runs its `finally` (a run) first; v2 appends a run on the other
way out, after the `try`: nothing recorded changes."""

import restate

svc = restate.Service("P45_finally_after_return")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    try:
        a = await ctx.run_typed("a", lambda: "a")
        if a == "a":
            second, resumed_again = ctx.awakeable(type_hint=str)
            await ctx.run_typed("publish", lambda: second)
            await resumed_again  # park 2
            return "early"
    finally:
        await ctx.run_typed("cleanup", lambda: "done")
    return "late"
