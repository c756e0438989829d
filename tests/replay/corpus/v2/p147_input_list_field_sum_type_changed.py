"""Computed on purpose: the handler stores a sum over its input's list field
(`sum(line.cost for line in cart.lines)`), and v2 annotates the item class's field `float` where it
was `int`. Replay decodes the input with the new class: the sum is `3.0` where the journal holds
`3`, a 570 at the set for the invocations that had made it. rea counted `Cart.lines`'s own
annotation only and said compatible; it must say unknown, naming `Cart.lines`."""

from pydantic import BaseModel

import restate

# input: {"lines": [{"cost": 1}, {"cost": 2}]}

svc = restate.VirtualObject("P147_input_list_field_sum_type_changed")


class Line(BaseModel):
    cost: float


class Cart(BaseModel):
    lines: list[Line]


@svc.handler()
async def go(ctx: restate.ObjectContext, cart: Cart) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("total", sum(line.cost for line in cart.lines))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return str(len(cart.lines))
