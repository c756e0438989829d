"""Computed on purpose: the value stored is computed by a function of another module of the
project (`from .shared_text import label`), whose body v2 changes (`"Order "` to `"order "`). The
value replay computes is another, a 570 at the set for the invocations that had made it. rea
read only the imported name and said compatible; it reads the function's code now, so `rea diff`
must say unknown (the computation changed), never compatible."""

import restate

from .shared_text import label

svc = restate.VirtualObject("P127_imported_helper_body_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("label", label(name))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
