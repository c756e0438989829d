"""A step is added under `if items:` right before `for item in items:`, in a helper the handler
hands its context to: an invocation whose journal shows the loop ran had items, so the new
code journals the step where the journal holds the loop's first set. The server answers with
a 570 at that set. rea says breaking there, on no condition (it kept the `if`'s decision and
the loop's as one, on the same test, and said compatible)."""

import restate

# input: "anna,bob"
# exact index: the loop's first set

svc = restate.VirtualObject("P173_step_under_if_before_its_loop")


async def remember(ctx: restate.ObjectContext, items: list[str]) -> None:
    if items:
        ctx.set("count", len(items))
    for item in items:
        ctx.set("last", item)


@svc.handler()
async def go(ctx: restate.ObjectContext, names: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await remember(ctx, names.split(","))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return names
