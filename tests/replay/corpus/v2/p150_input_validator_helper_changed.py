"""Computed on purpose: the handler stores a field of its input, whose field validator calls a
function of the module (`normalized`), and v2 changes that function's body (upper case to lower
case); the validator's own text stays. Replay decodes the input with the new code: the field
holds another value, a 570 at the set for the invocations that had made it. rea read the
validator's own code only and said compatible; it must say unknown, naming `Order.sku`."""

from pydantic import BaseModel, field_validator

import restate

# input: {"sku": "Ab"}

svc = restate.VirtualObject("P150_input_validator_helper_changed")


def normalized(value: str) -> str:
    return value.lower()


class Order(BaseModel):
    sku: str

    @field_validator("sku")
    @classmethod
    def canonical(cls, v: str) -> str:
        return normalized(v)


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("sku", order.sku)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.sku
