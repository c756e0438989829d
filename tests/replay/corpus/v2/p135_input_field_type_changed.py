"""Computed on purpose: the handler stores its input model, and v2 annotates a field `float`
where it was `int`. Replay decodes the journaled input with the new class: `1` becomes `1.0`,
written as other bytes, a 570 at the set for the invocations that had made it (a field that held
None would write the same). rea read the class's keys only and said compatible; it must say
unknown, naming the field."""

from pydantic import BaseModel

import restate

# input: {"id": "a", "price": 1}

svc = restate.VirtualObject("P135_input_field_type_changed")


class Order(BaseModel):
    id: str
    price: float


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
