"""Computed on purpose: a run's result is a model that holds a list of another model (`lines:
list[Line]`), and `Line` gains a required field. A journaled result whose list held a line no
longer decodes (ValidationError, no 570) and Restate retries the invocation for good; one whose
list was empty still decodes. Source cannot tell which the journal holds, so `rea diff` must say
unknown, never compatible."""

from pydantic import BaseModel

import restate

svc = restate.Service("P126_run_result_list_item_required_field")


class Line(BaseModel):
    sku: str


class Basket(BaseModel):
    lines: list[Line] = []


def fetch() -> Basket:
    return Basket(lines=[Line(sku="a")])


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    basket = await ctx.run_typed("fetch", fetch)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return str(len(basket.lines))
