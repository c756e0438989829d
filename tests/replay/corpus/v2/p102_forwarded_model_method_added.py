"""The control of p99: the forwarded input model gains a method, not a field. Its dump writes the
same keys, the call's parameter bytes are the same, and every invocation completes: rea diff
calls it compatible."""

from pydantic import BaseModel

import restate

# input: {"sku": "a"}

svc = restate.Service("P102_forwarded_model_method_added")


class Order(BaseModel):
    sku: str

    def label(self) -> str:
        return self.sku.upper()


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


billing = restate.Service("P102_forwarded_model_method_addedBilling")


@billing.handler()
async def charge(ctx: restate.Context, order: Order) -> str:
    return order.sku
