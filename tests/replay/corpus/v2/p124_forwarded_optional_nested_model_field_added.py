"""Computed on purpose: the handler stores its input model, whose optional field holds another
model (`address: Address | None = None`), and `Address` gains a field with a default. Where the
input held an address, it is written again with the new class's keys, a 570 at the set for the
invocations that had made it; where it held None, the bytes are the same. Source cannot tell
which, so `rea diff` must say unknown, never compatible."""

from pydantic import BaseModel

import restate

# input: {"name": "a", "address": {"city": "x"}}

svc = restate.VirtualObject("P124_forwarded_optional_nested_model_field_added")


class Address(BaseModel):
    city: str
    zip: str = ""


class User(BaseModel):
    name: str
    address: Address | None = None


@svc.handler()
async def go(ctx: restate.ObjectContext, user: User) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("user", user)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return user.name
