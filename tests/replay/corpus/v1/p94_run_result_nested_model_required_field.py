"""A run's result is decoded as a pydantic model one of whose required fields holds another model,
and that model gains a required field: the results journaled before the change hold the old
nested value, which lacks it. No 570: replay cannot decode the recorded result (pydantic's
ValidationError), and Restate retries the invocation for good."""

from pydantic import BaseModel

import restate

svc = restate.Service("P94_run_result_nested_model_required_field")


class Address(BaseModel):
    city: str


class Customer(BaseModel):
    name: str
    address: Address


def lookup(name: str) -> Customer:
    return Customer(name=name, address=Address(city="Berlin"))


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    customer = await ctx.run_typed("lookup", lookup, name=arg)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return customer.address.city
