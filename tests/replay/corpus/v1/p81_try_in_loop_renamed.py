"""A `try` around a run inside a loop, where one iteration raises before it journals; the run
after the loop renamed: invocations that recorded it break there, the others complete (rea diff
replayed the exception in the wrong iteration and placed the break at the loop)."""

import restate

svc = restate.Service("P81_try_in_loop_renamed")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    for item in ["a", "", "b"]:
        try:
            if not item:
                raise KeyError(item)
            await ctx.run_typed("step", lambda: item)
        except KeyError:
            pass
    done = await ctx.run_typed("done", lambda: "ok")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return done
