"""The handler stores its input model, and v2 gives `Order` a `computed_field`: a dump writes
it as a key after the fields, so the value is written with other keys, a 570 at the set for the
invocations that had made it. rea could not read a class with a computed field and said
compatible; it must say breaking there.

# exact index: 2
"""

from pydantic import BaseModel, computed_field

import restate

# input: {"id": "a", "price": 2}

svc = restate.VirtualObject("P137_computed_field_added")


class Order(BaseModel):
    id: str
    price: int


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
