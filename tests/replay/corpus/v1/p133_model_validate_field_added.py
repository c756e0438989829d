"""The handler stores a model it validates from a dict (`Order.model_validate({"id": arg})`),
and `Order` gains a field with a default: the value is written with the new class's keys, a 570
at the set for the invocations that had made it. rea read only that the class's code changed and
said unknown; it must say breaking there.

# exact index: 2
"""

from pydantic import BaseModel

import restate

svc = restate.VirtualObject("P133_model_validate_field_added")


class Order(BaseModel):
    id: str


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("order", Order.model_validate({"id": arg}))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
