"""The value stored is computed by a function imported from another module of the project, and
v2 moves that function, unchanged, to a module of another name (`shared_text` to
`shared_moved`). Replay computes the same value: every invocation completes. rea read the
module's name as part of the value and said unknown; the same code moved is the same
computation, so `rea diff` must say compatible."""

import restate

from .shared_moved import greeting

# input: "ann"

svc = restate.VirtualObject("P156_helper_moved_to_another_module")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("greeting", greeting(name))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
