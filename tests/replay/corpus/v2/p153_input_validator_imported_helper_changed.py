"""Computed on purpose: the input's class has a field validator that calls a helper imported from
another module of the project (`shared_text.tidy`), and v2 changes only that helper's body (it
lower-cases too). Replay decodes the input with the new validator, so the stored id differs: a
570 at the set for the invocations that had made it. rea read a validator's code with the
helpers of its own module only and said compatible; it must say unknown."""

from pydantic import BaseModel, field_validator

import restate

from .shared_text import tidy

# input: {"id": "Ab"}

svc = restate.VirtualObject("P153_input_validator_imported_helper_changed")


class Order(BaseModel):
    id: str

    @field_validator("id")
    @classmethod
    def _tidy(cls, value: str) -> str:
        return tidy(value)


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("id", order.id)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.id
