"""The handler's input is a pydantic model that it forwards whole as a call's argument, and the
model gains a field with a default. Replay decodes the journaled input into the new class and
the call's parameter is serialized again: `model_dump_json()` now writes the new key too, so
the bytes differ from those the old code journaled, and the invocations that had made the call
fail with 570 at it. (The input itself still decodes: the field has a default.)"""

from pydantic import BaseModel

import restate

# input: {"sku": "a"}
# exact index: the call

svc = restate.Service("P99_input_model_forwarded_field_added")


class Order(BaseModel):
    sku: str
    note: str = ""


@svc.handler()
async def go(ctx: restate.Context, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    done = await ctx.service_call(charge, arg=order)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return done


billing = restate.Service("P99_input_model_forwarded_field_addedBilling")


@billing.handler()
async def charge(ctx: restate.Context, order: Order) -> str:
    return order.sku
