"""Computed on purpose: the value stored is read from a module table that a function fills
when the module runs it (`def fill(): RATES["pro"] = 10`, then `fill()`), and v2 changes only
that function's body (10 to 20). The value replay computes is another, a 570 at the set for
the invocations that had made it. rea read the table as its assignment (`RATES = {}`) alone
and said compatible; it must say unknown, naming `RATES`."""

import restate

# input: "pro"

svc = restate.VirtualObject("P164_module_table_filled_by_function_changed")

RATES: dict[str, int] = {}


def fill() -> None:
    RATES["basic"] = 5
    RATES["pro"] = 10


fill()


@svc.handler()
async def go(ctx: restate.ObjectContext, plan: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("rate", RATES[plan])
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return plan
