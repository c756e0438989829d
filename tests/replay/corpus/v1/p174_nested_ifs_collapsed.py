"""Two nested `if`s collapsed into one with `and` (ruff's SIM102 fix: `if len(name) > 2:` /
`if name.isalpha():` to `if len(name) > 2 and name.isalpha():`): one test, written as one.
Every invocation completes. rea says compatible (it read the `and` as a new condition, and
said breaking along a way that depends on it)."""

import restate

# input: "anna"

svc = restate.VirtualObject("P174_nested_ifs_collapsed")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if len(name) > 2:
        if name.isalpha():
            ctx.set("name", name)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
