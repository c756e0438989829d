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


def audit(c: restate.ObjectContext) -> str:
    return "audited"


@svc.handler()
async def contexts_inside(ctx: restate.ObjectContext) -> None:
    # the runs rea_runtime starts are runs: a context in their actions is REA201, as in ctx.run's
    await run(ctx, "a", lambda: ctx.key())  # expect: REA201
    await rea_runtime.run_typed(ctx, "b", audit, ctx)  # expect: REA201
    await rea_runtime.run_typed(ctx, "c", audit, c=ctx, max_attempts=2)  # expect: REA201

    def reads() -> str:
        return ctx.key()  # expect: REA201

    await rea_runtime.run(ctx, "d", reads)
    async with rea_runtime.Saga(ctx) as saga:
        await saga.step("e", lambda: ctx.key())  # expect: REA201
        saga.register("f", lambda: ctx.key())  # expect: REA201
    await rea_runtime.run_typed(ctx, "g", audit, "not a context")  # the context goes first: not a use
