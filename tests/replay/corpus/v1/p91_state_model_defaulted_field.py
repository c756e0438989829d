"""A state value is read into a pydantic model (`type_hint=`), and the model gains a field with
a default: the value stored before the change (by `seed`) still decodes (compatible; p90 is the
same change without the default)."""

from pydantic import BaseModel

import restate

svc = restate.VirtualObject("P91_state_model_defaulted_field")


class Cart(BaseModel):
    items: list[str]


@svc.handler()
async def seed(ctx: restate.ObjectContext, arg: str) -> None:
    ctx.set("cart", Cart(items=[arg]))


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    cart = await ctx.get("cart", type_hint=Cart)
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    return ",".join(cart.items) if cart else ""
