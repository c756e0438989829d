"""A run's result is decoded as the pydantic model its action returns, and one of the model's
fields changes type, `int` to `str`: pydantic accepts no JSON integer for a `str` field, so the
results journaled before the change no longer decode (ValidationError, no 570), and Restate
retries the invocation for good."""

from pydantic import BaseModel

import restate

svc = restate.Service("P96_run_result_field_type_changed")


class Quote(BaseModel):
    price: str


def fetch() -> Quote:
    return Quote(price="1")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    quote = await ctx.run_typed("fetch", fetch)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return str(quote.price)
