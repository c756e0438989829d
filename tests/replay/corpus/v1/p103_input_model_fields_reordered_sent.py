"""The handler's input is a pydantic model that it sends whole to another handler, and two of the
model's fields swap places. Replay decodes the journaled input into the new class and the
send's parameter is serialized again: `model_dump_json()` writes the fields in the order the
class declares them, so the bytes differ from those the old code journaled, and the invocations
that had sent it fail with 570 at the send."""

from pydantic import BaseModel

import restate

# input: {"sku": "a", "qty": 2}
# exact index: the send

svc = restate.Service("P103_input_model_fields_reordered_sent")


class Order(BaseModel):
    sku: str
    qty: int


@svc.handler()
async def go(ctx: restate.Context, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.service_send(audit, arg=order)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.sku


audit_svc = restate.Service("P103_input_model_fields_reordered_sentAudit")


@audit_svc.handler()
async def audit(ctx: restate.Context, order: Order) -> None:
    return None
