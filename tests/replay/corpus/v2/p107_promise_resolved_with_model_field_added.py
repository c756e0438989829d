"""A workflow resolves one of its promises with its input model (`ctx.promise("order",
type_hint=Order).resolve(order)`), and the model gains a field with a default. The promise's
serde (a DefaultSerde of its type hint) writes `model_dump_json()` of the value replay decoded
with the new class: the new key too, so the bytes differ from those the old code journaled,
570 at the resolve for the invocations that had made it."""

from pydantic import BaseModel

import restate

# input: {"sku": "a"}
# exact index: the resolve

svc = restate.Workflow("P107_promise_resolved_with_model_field_added")


class Order(BaseModel):
    sku: str
    note: str = ""


@svc.main()
async def run(ctx: restate.WorkflowContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.promise("order", type_hint=Order).resolve(order)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.sku
