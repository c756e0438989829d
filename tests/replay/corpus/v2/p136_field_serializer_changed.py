"""Computed on purpose: the handler stores a run's result, whose class writes a field through a
`field_serializer` that v2 changes (cents to tenths of a cent). The result replays from the
journal and is written again with the new serializer: other bytes, a 570 at the set for the
invocations that had made it. rea read the class's keys only and said compatible; it must say
unknown, naming the serializer."""

from pydantic import BaseModel, field_serializer

import restate

svc = restate.VirtualObject("P136_field_serializer_changed")


class Quote(BaseModel):
    price: int

    @field_serializer("price")
    def cents(self, v: int) -> int:
        return v * 1000


def fetch() -> Quote:
    return Quote(price=1)


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    quote = await ctx.run_typed("fetch", fetch)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("quote", quote)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
