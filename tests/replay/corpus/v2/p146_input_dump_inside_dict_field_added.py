"""Computed on purpose: the handler stores a dict that holds its input's dump
(`{"order": order.model_dump(), "version": 1}`), and v2 gives the input's class a field with a
default. Replay decodes the input with the new class, and its dump holds the new key: a 570 at
the set for the invocations that had made it. rea read the dict as a computation of the input
and said compatible; it must say unknown, naming `Order`."""

from pydantic import BaseModel

import restate

# input: {"id": "a"}

svc = restate.VirtualObject("P146_input_dump_inside_dict_field_added")


class Order(BaseModel):
    id: str
    note: str = ""


@svc.handler()
async def go(ctx: restate.ObjectContext, order: Order) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("order", {"order": order.model_dump(), "version": 1})
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return order.id
