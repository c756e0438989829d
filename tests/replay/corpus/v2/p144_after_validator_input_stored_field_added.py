"""The handler stores its input model whole, whose class has a `model_validator(mode="after")`,
and v2 gives the class a field with a default. An after-validator runs on an instance made from
the fields, so the keys are the fields': replay decodes the input with the new class and the set
writes the new key, a 570 at the set for the invocations that had made it. rea read no keys of a
class with a model validator and said compatible; it must say breaking."""

from pydantic import BaseModel, model_validator

import restate

# input: {"id": "a"}
# exact index: the set

svc = restate.VirtualObject("P144_after_validator_input_stored_field_added")


class Order(BaseModel):
    id: str
    note: str = ""

    @model_validator(mode="after")
    def checked(self) -> "Order":
        if not self.id:
            raise ValueError("an order needs an id")
        return self


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
