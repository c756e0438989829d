"""Computed on purpose: the handler stores a run's result as text (`str(quote)`), and v2 gives its
class a field with a default. The result replays from the journal and is decoded with the new
class, whose text names the new field too: a 570 at the set for the invocations that had made it.
rea read the text as a computation of the result and said compatible; it must say unknown,
naming `Quote`."""

from pydantic import BaseModel

import restate

svc = restate.VirtualObject("P145_run_result_stored_as_text_field_added")


class Quote(BaseModel):
    price: int
    currency: str = "EUR"


def fetch() -> Quote:
    return Quote(price=1)


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    quote = await ctx.run_typed("fetch", fetch)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("quote", str(quote))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
