"""A `try` around a run inside a loop, where one iteration raises before it journals: a run
appended after everything (compatible). rea diff replayed the exception in the wrong iteration
and called it a break at index 1."""

import restate

svc = restate.Service("P80_try_in_loop_append")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    for item in ["a", "", "b"]:
        try:
            if not item:
                raise KeyError(item)
            await ctx.run_typed("step", lambda: item)
        except KeyError:
            pass
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return await ctx.run_typed("done", lambda: "ok")
