"""A virtual object makes a model leaving a field out and stores it (`ctx.set("quote",
Quote(price=1))`), and the field's literal default changes. The instance holds the default and
`model_dump_json()` writes it: the state value's bytes differ from those the old code journaled,
570 at the set for the invocations that had made it."""

from pydantic import BaseModel

import restate

# exact index: the set

svc = restate.VirtualObject("P106_made_model_default_changed")


class Quote(BaseModel):
    price: int
    currency: str = "USD"


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("quote", Quote(price=1))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
