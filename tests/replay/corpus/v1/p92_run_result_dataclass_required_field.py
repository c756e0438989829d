"""A run's result is decoded as the dataclass its action returns, and the dataclass gains a
required field: dacite cannot build the old results (MissingValueError), and Restate retries the
invocation for good."""

from dataclasses import dataclass

import restate

svc = restate.Service("P92_run_result_dataclass_required_field")


@dataclass
class Stock:
    sku: str


def lookup(sku: str) -> Stock:
    return Stock(sku)


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    stock = await ctx.run_typed("lookup", lookup, sku=arg)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return stock.sku
