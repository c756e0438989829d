"""Computed on purpose: the value stored is a field of a run's result (`ctx.set("label",
quote.label)`), whose class's field validator v2 changes (upper case to lower case). The result
replays from the journal and is decoded with the new class: the field holds another value, a 570
at the set for the invocations that had made it. rea read a field of a run's result as data and
said compatible; it must say unknown, naming the field."""

from pydantic import BaseModel, field_validator

import restate

svc = restate.VirtualObject("P138_run_result_field_validator_changed")


class Quote(BaseModel):
    label: str
    price: int

    @field_validator("label")
    @classmethod
    def normalized(cls, v: str) -> str:
        return v.upper()


def fetch() -> Quote:
    return Quote(label="Ab", price=1)


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    quote = await ctx.run_typed("fetch", fetch)
    ctx.set("price", quote.price)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("label", quote.label)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
