"""Computed on purpose, beside p123: a stored model's list of `Item` is empty at the first set
(`Cart(items=[])`) and holds one at the second, and `Item` gains a field with a default. The
invocations that had made only the first set complete (no item is written, so the bytes are the
same); those that had made the second break with 570 there. Source cannot tell a list's length,
so `rea diff` must say unknown: neither compatible nor breaking is true of every invocation."""

from pydantic import BaseModel

import restate

# input: "a"

svc = restate.VirtualObject("P125_stored_model_empty_list_item_field_added")


class Item(BaseModel):
    sku: str


class Cart(BaseModel):
    items: list[Item]


@svc.handler()
async def go(ctx: restate.ObjectContext, owner: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    cart = Cart(items=[])
    ctx.set("cart", cart)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    cart.items.append(Item(sku=owner))
    ctx.set("cart", cart)
    third, resumed_last = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: third)
    await resumed_last  # park 3
    return owner + str(len(cart.items))
