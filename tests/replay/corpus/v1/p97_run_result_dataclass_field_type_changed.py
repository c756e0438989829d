"""A run's result is decoded as the dataclass its action returns, and one of its fields changes
type, `int` to `str`: dacite converts nothing, so the results journaled before the change no
longer decode (WrongTypeError, no 570), and Restate retries the invocation for good."""

from dataclasses import dataclass

import restate

svc = restate.Service("P97_run_result_dataclass_field_type_changed")


@dataclass
class Stock:
    count: int


def lookup(sku: str) -> Stock:
    return Stock(len(sku))


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    stock = await ctx.run_typed("lookup", lookup, sku=arg)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return str(stock.count)
