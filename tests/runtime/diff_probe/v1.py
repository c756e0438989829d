"""Version 1 of the services `test_diff_server.py` updates in place (v2.py is version 2).

Every handler suspends at `await ctx.sleep(SLEEP)`; the test replaces this code by v2 while
the invocations sleep, and the server replays each one on v2 when its timer fires."""

from datetime import timedelta

import restate

SLEEP = timedelta(seconds=8)
probe = restate.VirtualObject("DiffProbe")


@probe.handler()
async def other(ctx: restate.ObjectContext, x: int) -> int:
    return x


@probe.handler()
async def inserted_run(ctx: restate.ObjectContext, sku: str) -> str:
    await ctx.run("reserve", lambda: sku)
    await ctx.sleep(SLEEP)
    await ctx.run("charge", lambda: sku)
    return "placed"


@probe.handler()
async def sleep_duration(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.run("a", lambda: 1)
    await ctx.sleep(SLEEP)
    await ctx.run("b", lambda: 1)
    return "ok"


@probe.handler()
async def sleep_name(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.sleep(SLEEP, name="nap")
    return "ok"


@probe.handler()
async def state_entry_name(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.get("k")
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def state_value(ctx: restate.ObjectContext, x: str) -> str:
    ctx.set("k", 1)
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def send_delay(ctx: restate.ObjectContext, x: str) -> str:
    ctx.object_send(other, "delay", 1, send_delay=timedelta(seconds=1))
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def call_parameter(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.object_call(other, "param", 1)
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def renamed_after_sleep(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.sleep(SLEEP)
    await ctx.run("b", lambda: 1)
    return "ok"


@probe.handler()
async def awakeable_inserted(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.run("a", lambda: 1)
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def inside_run_action(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.run("a", lambda: "v1")
    await ctx.sleep(SLEEP)
    return "ok"


app = restate.app([probe])
