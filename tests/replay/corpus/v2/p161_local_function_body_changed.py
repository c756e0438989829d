"""Computed on purpose: the value stored is what a function defined inside the handler returns
(`def label(): return name.lower()`), and v2 changes only that function's body (`upper` to
`lower`). The value replay computes is another, a 570 at the set for the invocations that had
made it. rea read a local function by its name alone and said compatible; it must say unknown."""

import restate

# input: "Ann"

svc = restate.VirtualObject("P161_local_function_body_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    def label() -> str:
        return name.lower()

    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("label", label())
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
