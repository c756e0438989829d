"""A handler sends a signal to itself with its input model (`ctx.resolve_signal(me, "order",
order)`), and the model gains a field with a default: the value is written again with the new
class's keys, 570 at the send for the invocations that had made it."""

from pydantic import BaseModel

import restate

# input: {"sku": "a"}
# exact index: the resolve

svc = restate.VirtualObject("P122_signal_resolved_with_model_field_added")


class Order(BaseModel):
    sku: str
    note: str = ""


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    me = ctx.request().id
    ctx.resolve_signal(me, "order", order)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.sku
