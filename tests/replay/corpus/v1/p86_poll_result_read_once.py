"""A polling loop's run taken out of its condition (restatedev/documentation 9684d7435e):
`while await ctx.run_typed("status", ...) == "PENDING": sleep` became `status = await
ctx.run_typed("status", ...)`, then `while status == "PENDING": sleep`. An invocation that
slept once and polled again breaks where it polled (index 4): the new code sleeps again, on the
recorded "PENDING". rea diff said index 3, along a way (the recorded result not "PENDING") no
invocation that slept at 3 takes."""
# exact index: every invocation that breaks breaks at rea diff's index, whatever it recorded

from datetime import timedelta

import restate

svc = restate.Service("P86_poll_result_read_once")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    polls = 0
    while await ctx.run_typed("status", lambda: "DONE" if polls else "PENDING") == "PENDING":
        polls += 1
        await ctx.sleep(timedelta(milliseconds=10))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return f"{polls}{c}"
