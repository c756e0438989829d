"""Computed on purpose: a stored model holds a list of another model (`items: list[Item]`), the
canonical cart (`await ctx.get("cart", type_hint=Cart) or Cart()`, an item appended, stored
back), and `Item` gains a field with a default. Every item in the list is written again with the
new class's keys, a 570 at the set for the invocations that had made it; source cannot tell
whether the list holds an item there (p125 stores an empty one), so `rea diff` must say unknown,
never compatible."""

from pydantic import BaseModel

import restate

# input: {"sku": "a"}

svc = restate.VirtualObject("P123_stored_model_list_item_field_added")


class Item(BaseModel):
    sku: str
    note: str = ""


class Cart(BaseModel):
    items: list[Item] = []


@svc.handler()
async def go(ctx: restate.ObjectContext, item: Item) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    cart = await ctx.get("cart", type_hint=Cart) or Cart()
    cart.items.append(item)
    ctx.set("cart", cart)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return str(len(cart.items))
