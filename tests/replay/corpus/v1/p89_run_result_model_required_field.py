"""A run's result is decoded as the pydantic model its action returns (restate-sdk takes the
action's return annotation), and the model gains a required field: the results journaled before
the change lack it. No 570: the journal matches, but replay cannot decode the recorded result
(pydantic's ValidationError), and Restate retries the invocation for good."""

from pydantic import BaseModel

import restate

svc = restate.Service("P89_run_result_model_required_field")


class Quote(BaseModel):
    price: int


def fetch() -> Quote:
    return Quote(price=1)


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
