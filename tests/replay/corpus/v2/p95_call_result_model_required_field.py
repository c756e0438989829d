"""Computed on purpose: a call's result is decoded as the pydantic model the called handler
returns (restate-sdk 1.3 takes the handler's return annotation), and the model gains a required
field. The result journaled before the change was written by the old handler and lacks it: replay
cannot decode it (pydantic's ValidationError, no 570), and Restate retries the invocation for good.
Which code the called handler's deployment ran when it answered is not in the code: rea diff says
unknown, with the reason."""

from pydantic import BaseModel

import restate

svc = restate.Service("P95_call_result_model_required_field")


class Quote(BaseModel):
    price: int
    currency: str


@svc.handler()
async def quote(ctx: restate.Context, sku: str) -> Quote:
    return Quote(price=len(sku), currency="EUR")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    got = await ctx.service_call(quote, arg=arg)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return str(got.price)
