"""Computed on purpose: the handler stores its input model, and v2 gives `Order` a
`model_serializer`, which writes what it returns instead of the fields. rea cannot list the keys
a model serializer writes, so it read the class on the old side only and said compatible; the
value is written as other bytes, a 570 at the set for the invocations that had made it. It must
say unknown: the class's keys are read on one side only."""

from pydantic import BaseModel, model_serializer

import restate

# input: {"id": "a"}

svc = restate.VirtualObject("P139_model_serializer_added")


class Order(BaseModel):
    id: str

    @model_serializer
    def written(self) -> dict[str, str]:
        return {"id": self.id, "v": "2"}


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
