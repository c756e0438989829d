"""A check is added inside a `try` whose `except` catches what it raises (`if len(name) > 2:
raise ValueError(...)` under `except ValueError:`): for the input "anna" the new code raises,
and goes on past the `try` to journal what the old code did. Every invocation completes. rea
says compatible (it took the `raise` as the end of the handler, and said breaking)."""

import restate

# input: "anna"

svc = restate.VirtualObject("P170_caught_check_added")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    try:
        short = name.strip()
    except ValueError:
        short = name[:2]
    ctx.set("name", name)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return short
