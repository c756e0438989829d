"""Computed on purpose: the handler's input is a pydantic model that gains a required field. The
input journaled before the change (index 0) was sent for the old model and lacks it: replaying
it, the SDK cannot decode it, and the invocation fails for good (its terminal error "Unable to
parse an input argument"), with its work half done. What callers sent is not in the code: rea
diff says unknown, with the reason."""

from pydantic import BaseModel

import restate

# input: {"sku": "a"}

svc = restate.Service("P93_input_model_required_field")


class Order(BaseModel):
    sku: str


@svc.handler()
async def go(ctx: restate.Context, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return order.sku
