"""An early `return` is taken for more inputs (`if len(name) > 5: return "long"` to `> 2`):
for the input "anna" the old code went on to set state and park, where the new code returns.
The server answers with a 570 at the set: the new code writes its output where the journal
holds the set. rea says breaking, on the condition; rea explain names the `return`."""

import restate

# input: "anna"

svc = restate.VirtualObject("P169_early_return_widened")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if len(name) > 2:
        return "long"  # ends at index 2
    ctx.set("name", name)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
