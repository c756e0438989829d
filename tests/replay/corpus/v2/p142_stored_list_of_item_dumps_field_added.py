"""Computed on purpose: the handler stores a list it builds from its input, one dump per item the
input's list field holds (`[item.model_dump() for item in cart.items]`), and v2 gives the item's
class a field with a default. Replay decodes the input with the new class: each dump holds the
new key, a 570 at the set for the invocations that had made it. rea read the list as a
computation of the input and said compatible; it must say unknown, naming `Cart.items`."""

from pydantic import BaseModel

import restate

# input: {"items": [{"sku": "a"}]}

svc = restate.VirtualObject("P142_stored_list_of_item_dumps_field_added")


class Item(BaseModel):
    sku: str
    qty: int = 1


class Cart(BaseModel):
    items: list[Item]


@svc.handler()
async def go(ctx: restate.ObjectContext, cart: Cart) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("items", [item.model_dump() for item in cart.items])
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return cart.items[0].sku
