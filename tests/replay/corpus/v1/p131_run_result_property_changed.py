"""Computed on purpose: the value stored is a property of a run's result (`quote =
await ctx.run_typed("fetch", fetch)`, then `ctx.set("label", quote.label)`), whose body v2
changes. The result replays from the journal, the property runs anew: the value replay computes
is another, a 570 at the set for the invocations that had made it. rea read an attribute of a
local as a field and said compatible; it must say unknown (the computation changed, naming `label`)."""

from pydantic import BaseModel

import restate

svc = restate.VirtualObject("P131_run_result_property_changed")


class Quote(BaseModel):
    price: int

    @property
    def label(self) -> str:
        return "price " + str(self.price)


def fetch() -> Quote:
    return Quote(price=1)


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    quote = await ctx.run_typed("fetch", fetch)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("label", quote.label)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
