"""A comprehension's filter changed (`if n > 0` to `if n > 5`): for the input [1, 2, 7] the runs
it makes go from three to one, a 570 for the invocations that had made them. rea read a
comprehension's filters as part of its element, not as a test, and said compatible."""

import restate

# input: [1, 2, 7]

svc = restate.VirtualObject("P175_comprehension_filter_changed")


def double(n: int) -> int:
    return n * 2


@svc.handler()
async def go(ctx: restate.ObjectContext, numbers: list[int]) -> int:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    doubled = [await ctx.run_typed("double", double, n=n) for n in numbers if n > 0]
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return sum(doubled)
