"""The strict guards next to the libraries a real service runs with: no false REA1xx.

structlog's TimeStamper, the OpenTelemetry SDK (tracer provider, batch span processor), Sentry's
SDK (default integrations, a real HTTP transport pointed at a closed loopback port) and
freezegun all read the clock, draw random ids or start threads from library code while a
handler runs; none of that is the handler's doing, so strict mode must let every invocation
through. The handler's own run action sees freezegun's frozen clock, which shows it was active.
"""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import time

import freezegun
import pytest
import restate
import sentry_sdk
import structlog
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import rea_runtime

N = 10
exporter = InMemorySpanExporter()
provider = TracerProvider()
processor = BatchSpanProcessor(exporter, schedule_delay_millis=50)
provider.add_span_processor(processor)
tracer = provider.get_tracer("compat")
log_out = io.StringIO()
log = structlog.wrap_logger(
    structlog.PrintLogger(log_out),
    processors=[structlog.processors.TimeStamper(fmt="iso"), structlog.processors.JSONRenderer()],
)
stdlib_log = logging.getLogger("compat")
sentry_events: list[dict] = []

compat = rea_runtime.Service("Compat", policy="strict")


def _stamp() -> float:
    return time.time()


@compat.handler()
async def busy(ctx: restate.Context, n: int) -> dict:
    log.info("working", n=n)
    stdlib_log.warning("working %s", n)  # a Sentry breadcrumb
    with tracer.start_as_current_span("work") as span:
        span.set_attribute("n", n)
        sentry_sdk.add_breadcrumb(message=f"work {n}")
        sentry_sdk.capture_message(f"handled {n}")
        stamp = await ctx.run_typed("stamp", _stamp)
        await ctx.time()
    return {"n": n, "stamp": stamp}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def restate_app():
    def keep(event: dict, hint: dict) -> dict:
        sentry_events.append(event)
        return event  # and send it: the transport's worker thread starts lazily, mid-handler

    sentry_sdk.init(dsn=f"http://public@127.0.0.1:{_closed_port()}/1", before_send=keep)
    yield restate.app([compat])
    sentry_sdk.get_client().close(timeout=1)
    processor.shutdown()


async def test_strict_guards_raise_nothing_under_structlog_otel_sentry_and_freezegun(restate_env):
    with structlog.testing.capture_logs() as logs:
        with freezegun.freeze_time("2030-01-02", real_asyncio=True):
            async with restate_env.client() as client:
                responses = await asyncio.gather(
                    *(restate_env.call("Compat", "busy", n, client=client) for n in range(N))
                )
    assert [r.status_code for r in responses] == [200] * N, [r.text for r in responses if r.status_code != 200]
    assert not [e for e in logs if "code" in e]
    # Each library really ran inside the handlers:
    assert sorted(r.json()["n"] for r in responses) == list(range(N))
    assert {time.gmtime(r.json()["stamp"]).tm_year for r in responses} == {2030}  # freezegun
    assert log_out.getvalue().count('"timestamp"') == N  # structlog stamped every line
    assert sorted(e["message"] for e in sentry_events) == sorted(f"handled {n}" for n in range(N))
    processor.force_flush()
    assert sorted(s.attributes["n"] for s in exporter.get_finished_spans() if s.name == "work") == list(range(N))
