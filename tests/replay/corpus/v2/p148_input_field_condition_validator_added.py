"""The handler stores a flag where its input's field is over a limit (`if order.amount > 100`),
and v2 gives that field a validator (`v // 100`, cents to euros). Replay decodes the input with the
new class: the condition goes the other way, and the invocations that had stored the flag reach
the run where the journal holds the set, a 570 at index 1. rea read the condition as a function
of the input alone and said compatible; it must say breaking along that condition."""

from pydantic import BaseModel, field_validator

import restate

# input: {"id": "a", "amount": 150}

svc = restate.VirtualObject("P148_input_field_condition_validator_added")


class Order(BaseModel):
    id: str
    amount: int

    @field_validator("amount")
    @classmethod
    def euros(cls, v: int) -> int:
        return v // 100


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    if order.amount > 100:
        ctx.set("big", True)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.id
