"""The handler stores a copy of its input model (`order.model_copy(update={"state": "new"})`),
and `Order` gains a field with a default. The copy is an `Order`, written with the new class's
keys: a 570 at the set for the invocations that had made it. rea did not read a copy's class and
said compatible; it must say breaking there.

# exact index: 2
"""

from pydantic import BaseModel

import restate

# input: {"id": "a", "state": "old"}

svc = restate.VirtualObject("P132_input_model_copy_field_added")


class Order(BaseModel):
    id: str
    state: str
    note: str = ""


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("order", order.model_copy(update={"state": "new"}))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.id
