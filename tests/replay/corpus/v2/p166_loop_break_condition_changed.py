"""Computed on purpose: the value stored is counted in a loop that an earlier `if` breaks
(`if len(word) > 3: break`, then `count += 1`), and v2 changes only that test (`> 3` to `> 5`).
For the input "a bb cccc dd" replay counts another value, a 570 at the set for the invocations
that had made it. rea read the count's bindings under no test and said compatible; it must say
unknown."""

import restate

# input: "a bb cccc dd"

svc = restate.VirtualObject("P166_loop_break_condition_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, text: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    count = 0
    for word in text.split():
        if len(word) > 5:
            break
        count += 1
    ctx.set("count", count)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return text
