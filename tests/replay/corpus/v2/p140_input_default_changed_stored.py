"""Computed on purpose: the handler stores its input model, and v2 changes a field's default
(`"EUR"` to `"USD"`). A request that left the field out is decoded again with the new default at
replay: other bytes, a 570 at the set for the invocations that had made it (one that gave the
field writes the same). rea left a changed default of the input alone and said compatible; it
must say unknown, naming the field."""

from pydantic import BaseModel

import restate

# input: {"id": "a"}

svc = restate.VirtualObject("P140_input_default_changed_stored")


class Order(BaseModel):
    id: str
    currency: str = "USD"


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("order", order)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.id
