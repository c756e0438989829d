"""Computed on purpose: the handler loads its history through a helper given the context
(`history = await load_history(ctx)`), appends its input to it and stores it whole; v2 gives
the input's class a field with a default. Replay decodes the input with the new class, so the
stored history holds the new key: a 570 at the set for the invocations that had made it
(ai-examples' `Account.deposit`). rea took a value an awaited helper returns for an object that
holds the context, whose calls are operations, so it left the append out of the value and said
compatible; it must say unknown, naming `Transaction`."""

from pydantic import BaseModel

import restate

# input: {"amount": 5}

svc = restate.VirtualObject("P151_mutated_helper_result_holds_input_field_added")


class Transaction(BaseModel):
    amount: int


class History(BaseModel):
    transactions: list[Transaction] = []


async def load_history(ctx: restate.ObjectContext) -> History:
    return await ctx.get("history", type_hint=History) or History()


@svc.handler()
async def go(ctx: restate.ObjectContext, transaction: Transaction) -> int:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    history = await load_history(ctx)
    history.transactions.append(transaction)
    ctx.set("history", history)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return len(history.transactions)
