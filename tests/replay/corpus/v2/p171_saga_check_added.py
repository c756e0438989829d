"""A check that ends the invocation is added at the start of a `try` whose `except
TerminalError:` undoes what the `try` did and raises again: for the input "anna" the new code
raises, and the `except` clears the state where the journal holds its set. The server
answers with a 570 at the set, attempted by the `ctx.clear` of the `except`; an invocation
parked before the `try` ends with the new code's own error. rea says breaking, on the
condition, at the clear (it said the new code ends at the `raise`, which a handler catches)."""

import restate
from restate.exceptions import TerminalError

# input: "anna"

svc = restate.VirtualObject("P171_saga_check_added")


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    try:
        if len(name) > 2:
            raise TerminalError("name too long")
        ctx.set("name", name)
        second, resumed_again = ctx.awakeable(type_hint=str)
        await ctx.run_typed("publish", lambda: second)
        await resumed_again  # park 2
    except TerminalError:
        ctx.clear("name")
        raise
    return name
