"""Computed on purpose: the handler stores its input model, whose field validator v2 changes
(upper case to lower case). Replay decodes the journaled input with the new class: the value
written is another for an input that holds letters, a 570 at the set for the invocations that
had made it, and the same for one that does not. rea read the class's keys only and said
compatible; it must say unknown, naming the validator."""

from pydantic import BaseModel, field_validator

import restate

# input: {"id": "Ab"}

svc = restate.VirtualObject("P134_input_field_validator_changed")


class Order(BaseModel):
    id: str

    @field_validator("id")
    @classmethod
    def normalized(cls, v: str) -> str:
        return v.lower()


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
