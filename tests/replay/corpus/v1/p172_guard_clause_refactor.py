"""An `if` refactored into a guard clause (`if name.isalpha(): <work>` to `if not
name.isalpha(): return ""` then the work): the same test, spelled the other way round, with
the same work on the same way. Every invocation completes. rea says compatible (it read `not
name.isalpha()` as a new condition, and said breaking along a way that depends on it)."""

import restate

# input: "anna"

svc = restate.VirtualObject("P172_guard_clause_refactor")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if name.isalpha():
        ctx.set("name", name)
        second, resumed_again = ctx.awakeable(type_hint=str)
        await ctx.run_typed("publish", lambda: second)
        await resumed_again  # park 2
        return name
    return ""
