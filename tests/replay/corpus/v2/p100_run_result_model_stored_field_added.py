"""A run's result, decoded as the pydantic model its action returns, is stored whole in state,
and the model gains a field with a default. Replay decodes the journaled result into the new
class and `ctx.set` serializes it again with the new key, so the state value's bytes differ
from those the old code journaled: 570 at the set, for the invocations that had made it."""

from pydantic import BaseModel

import restate

# exact index: the set

svc = restate.VirtualObject("P100_run_result_model_stored_field_added")


class Quote(BaseModel):
    price: int
    currency: str = "EUR"


def fetch() -> Quote:
    return Quote(price=1)


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    quote = await ctx.run_typed("fetch", fetch)
    ctx.set("quote", quote)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return str(quote.price)
