"""A check that ends the invocation is tightened (`if len(name) > 5: raise TerminalError` to
`> 2`): for the input "anna" the old code went on to set state and park, where the new code
ends with the error. The server answers with a 570 at the set: the new code writes its
output where the journal holds the set. rea says breaking, on the condition."""

import restate
from restate.exceptions import TerminalError

# input: "anna"

svc = restate.VirtualObject("P168_validation_tightened")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if len(name) > 5:
        raise TerminalError("name too long")
    ctx.set("name", name)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
