"""A virtual object reads its state as a model, or makes a new one, changes it and stores it back
(`cart = await ctx.get("cart", type_hint=Cart) or Cart()`), and the model gains a field with a
default. Either way the value is a `Cart`, and the new class writes the new key: the state
value's bytes differ from those the old code journaled, 570 at the set for the invocations that
had made it. (Here the state was empty: the new `Cart()` is what differs.)"""

from pydantic import BaseModel

import restate

# exact index: the set

svc = restate.VirtualObject("P105_state_model_or_new_stored_back")


class Cart(BaseModel):
    items: list[str] = []


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    cart = await ctx.get("cart", type_hint=Cart) or Cart()
    cart.items.append(arg)
    ctx.set("cart", cart)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return ",".join(cart.items)
