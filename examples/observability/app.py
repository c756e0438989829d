"""An instrumented rea service: metrics at /metrics, replay-aware structlog, spans per attempt."""

from __future__ import annotations

from datetime import timedelta

import restate
import structlog

import rea_runtime
from rea_runtime.observability import instrument

orders = rea_runtime.VirtualObject("Orders", policy="warn")
log = structlog.get_logger("orders")


@orders.handler()
async def place(ctx: restate.ObjectContext, sku: str) -> str:
    log.info("placing", sku=sku)                       # logged once, even though the handler replays
    # A short durable sleep makes the handler suspend and replay, which is what this demo shows;
    # a real exclusive handler would not hold its key's lock while sleeping.
    await ctx.sleep(timedelta(milliseconds=10))  # noqa: REA206
    count = (await ctx.get("count") or 0) + 1
    ctx.set("count", count)
    log.info("placed", count=count)
    return f"{ctx.key()}#{count}"


app = instrument(restate.app([orders]))              # JSON logs: instrument(..., json=True)
