"""A run's result, decoded as the dataclass its action returns, is stored whole in state, and the
dataclass gains a field with a default. Replay decodes the journaled result into the new class
and `ctx.set` serializes it again (every field, `asdict`), so the state value's bytes differ
from those the old code journaled: 570 at the set, for the invocations that had made it."""

from dataclasses import dataclass

import restate

# exact index: the set

svc = restate.VirtualObject("P101_run_result_dataclass_stored_field_added")


@dataclass
class Receipt:
    amount: int


def fetch() -> Receipt:
    return Receipt(amount=1)


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    receipt = await ctx.run_typed("fetch", fetch)
    ctx.set("receipt", receipt)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return str(receipt.amount)
