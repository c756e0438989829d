"""A virtual object stores a run's result with the SDK's serde named (`ctx.set("quote", quote,
serde=PydanticJsonSerde(Quote))`), and the model gains a field with a default. That serde writes
`model_dump_json()`, as the default one does: replay decodes the run's journaled result into the
new class and writes the new key too, 570 at the set for the invocations that had made it."""

from pydantic import BaseModel

import restate
from restate.serde import PydanticJsonSerde

# input: "x"
# exact index: the set

svc = restate.VirtualObject("P108_state_model_sdk_serde_field_added")


class Quote(BaseModel):
    price: int


def fetch() -> Quote:
    return Quote(price=1)


@svc.handler()
async def go(ctx: restate.ObjectContext, sku: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    quote = await ctx.run_typed("fetch", fetch)
    ctx.set("quote", quote, serde=PydanticJsonSerde(Quote))
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return sku
