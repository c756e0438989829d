"""A state write's entry name changed (restate-sdk 1.3 journals it as the command's name)."""

import restate

svc = restate.VirtualObject("P113_state_entry_name_changed")


@svc.handler()
async def go(ctx: restate.ObjectContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("k", "v", entry_name="store")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg


callee = restate.Service("P113_state_entry_name_changedCallee")


@callee.handler()
async def echo(ctx: restate.Context, value: str) -> str:
    return value
