"""A control, as restatedev/examples' payment state machine changed (commit 054e63e): the input
model stored with the SDK's serde named (`ctx.set("payment", payment,
serde=PydanticJsonSerde(Payment))`), then without it. The default serde writes a model with
`model_dump_json()` too: the same bytes, and every invocation completes."""

from pydantic import BaseModel

import restate

# input: {"account_id": "a", "amount_cents": 5}

svc = restate.VirtualObject("P109_sdk_serde_dropped")


class Payment(BaseModel):
    account_id: str
    amount_cents: int


@svc.handler()
async def go(ctx: restate.ObjectContext, payment: Payment) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("payment", payment)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return payment.account_id
