"""rea_runtime's run helpers take the context first and the action third: the action is the
run action, so a clock read in it is fine (the plugin once took the first positional argument,
the context, for the action, and reported REA101 here)."""

import time

import restate
import rea_runtime
from rea_runtime import run
from rea_runtime.run import run as run2

svc = restate.VirtualObject("run_helpers")


@svc.handler()
async def h(ctx: restate.ObjectContext) -> float:
    a = await run(ctx, "q", lambda: time.time())
    b = await run2(ctx, "r", lambda: time.time())
    c = await rea_runtime.run(ctx, "c", lambda: time.monotonic())
    return a + b + c
