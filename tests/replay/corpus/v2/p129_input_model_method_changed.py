"""Computed on purpose: the value stored is computed by a method of the handler's input model
(`ctx.set("label", order.label())`), whose body v2 changes. The value replay computes is another,
a 570 at the set for the invocations that had made it. rea read the parameter and the method's
name only and said compatible; it reads the method's code now, so `rea diff` must say unknown
(the computation changed, naming `label`), never compatible."""

from pydantic import BaseModel

import restate

# input: {"sku": "a"}

svc = restate.VirtualObject("P129_input_model_method_changed")


class Order(BaseModel):
    sku: str

    def label(self) -> str:
        return "order " + self.sku


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("label", order.label())
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.sku
