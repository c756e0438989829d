"""Computed on purpose: the handler stores a field read through a field of its input
(`order.address.city`), and v2 gives the nested class a field validator (upper case). Replay
decodes the input with the new class: the city reads `PARIS` where the journal holds `paris`, a
570 at the set for the invocations that had made it. rea counted `Order.address`'s own code only
and said compatible; it must say unknown, naming `Address.city`."""

from pydantic import BaseModel, field_validator

import restate

# input: {"id": "a", "address": {"city": "paris"}}

svc = restate.VirtualObject("P143_input_nested_field_validator_added")


class Address(BaseModel):
    city: str


class Order(BaseModel):
    id: str
    address: Address


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("city", order.address.city)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.id
