"""Computed on purpose: a state value is read into a pydantic model (`type_hint=`), and the model
gains a required field. The value stored before the change (written from the old model, by
`seed` before the invocation starts) lacks it: replay cannot decode the value the invocation's
journal holds (pydantic's ValidationError, no 570), and Restate retries it for good. Source
cannot tell who wrote a stored value, or with which keys: rea diff says unknown, with the reason."""

from pydantic import BaseModel

import restate

svc = restate.VirtualObject("P90_state_model_required_field")


class Cart(BaseModel):
    items: list[str]
    currency: str


@svc.handler()
async def seed(ctx: restate.ObjectContext, arg: str) -> None:
    ctx.set("cart", Cart(items=[arg], currency="EUR"))


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    cart = await ctx.get("cart", type_hint=Cart)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return ",".join(cart.items) if cart else ""
