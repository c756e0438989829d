"""Computed on purpose: the handler stores a field of its input model (`ctx.set("currency",
order.currency)`), and v2 changes that field's default. A request that left the field out reads
the new default at replay: a 570 at the set for the invocations that had made it. rea read the
field as data and said compatible; it must say unknown, naming `Order.currency`."""

from pydantic import BaseModel

import restate

# input: {"id": "a"}

svc = restate.VirtualObject("P141_input_default_changed_field_read")


class Order(BaseModel):
    id: str
    currency: str = "EUR"


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("currency", order.currency)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.id
