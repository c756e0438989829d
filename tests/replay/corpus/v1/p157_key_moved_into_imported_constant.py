"""A state key, read and written, moves into a constant imported from another module of the
project (`from .shared_keys import SEEN`, `SEEN = "seen"`), and the value set is the list read
under that key with one more item. Replay reads the same entry and computes the same list:
every invocation completes. rea read the imported name as code and called the value's
computation changed (unknown); the constant is the literal it holds, as one of the module's
own constants is, so `rea diff` must say compatible."""

import restate

# input: "ann"

svc = restate.VirtualObject("P157_key_moved_into_imported_constant")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    seen = await ctx.get("seen", type_hint=list[str]) or []
    seen.append(name)
    ctx.set("seen", seen)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
