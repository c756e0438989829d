"""Nondeterministic on purpose: the same code in v1 and v2 branches on the environment, which
differs between the process that recorded the journal and the one that replays it."""

import os

import restate

svc = restate.Service("P42_nondeterministic_branch")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if os.environ.get("REA_CORPUS") == "v1":
        b = await ctx.run_typed("first-process", lambda: "b")
    else:
        b = await ctx.run_typed("later-process", lambda: "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c
