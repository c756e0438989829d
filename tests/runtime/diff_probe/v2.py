"""Version 2 of the services in v1.py (each handler changed one way; see test_diff_server.py).

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
    await ctx.run("check stock", lambda: sku)
    await ctx.sleep(SLEEP)
    await ctx.run("charge", lambda: sku)
    return "placed"


@probe.handler()
async def sleep_duration(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.run("a", lambda: 1)
    await ctx.sleep(timedelta(minutes=5))
    await ctx.run("b", lambda: 1)
    return "ok"


@probe.handler()
async def sleep_name(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.sleep(SLEEP, name="nap2")
    return "ok"


@probe.handler()
async def state_entry_name(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.get("k", entry_name="counter")
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def state_value(ctx: restate.ObjectContext, x: str) -> str:
    ctx.set("k", 2)
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def send_delay(ctx: restate.ObjectContext, x: str) -> str:
    ctx.object_send(other, "delay", 1, send_delay=timedelta(seconds=9))
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def call_parameter(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.object_call(other, "param", 2)
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def renamed_after_sleep(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.sleep(SLEEP)
    await ctx.run("b2", lambda: 1)
    return "ok"


@probe.handler()
async def awakeable_inserted(ctx: restate.ObjectContext, x: str) -> str:
    ctx.awakeable()
    await ctx.run("a", lambda: 1)
    await ctx.sleep(SLEEP)
    return "ok"


@probe.handler()
async def inside_run_action(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.run("a", lambda: "v2" * 2)
    await ctx.sleep(SLEEP)
    return "ok"


app = restate.app([probe])
