"""Computed on purpose: the value stored is computed by a function of the module that reads a
module constant (`SUFFIX`), and v2 changes only the constant (`"!"` to `"?"`). The value replay
computes is another, a 570 at the set for the invocations that had made it. rea followed the
functions and classes a helper calls, not the module values it reads, and said compatible; it
must say unknown, naming `SUFFIX`."""

import restate

# input: "ann"

svc = restate.VirtualObject("P154_helper_reads_module_constant_changed")

SUFFIX = "!"


def decorated(name: str) -> str:
    return name + SUFFIX


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("label", decorated(name))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
