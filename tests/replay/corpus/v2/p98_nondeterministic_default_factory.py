"""Nondeterministic on purpose: the same code in v1 and v2 constructs, in handler code, a model
whose `id` comes from a default_factory (`uuid4`), and names a run after it: a replay makes a new
id, so the run it attempts no longer matches the one the journal holds."""

import uuid

from pydantic import BaseModel, Field

import restate

svc = restate.Service("P98_nondeterministic_default_factory")


class Order(BaseModel):
    item: str
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    order = Order(item=arg)
    await ctx.run_typed(f"reserve-{order.id}", lambda: "ok")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.item
