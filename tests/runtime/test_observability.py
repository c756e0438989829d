"""Metrics on a real server's invocations, replay-deduplicated structlog, spans, the saga hook."""

from __future__ import annotations

import collections
import io
import json
import time

import httpx
import pytest
import restate
import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

import rea_runtime
from rea_runtime import events
from rea_runtime.observability import configure_logging, enable_metrics, enable_tracing, instrument

REGISTRY = CollectorRegistry()
ENTRIES: collections.Counter[str] = collections.Counter()

obs = rea_runtime.Service("ObsSvc", policy="warn")
ledger = rea_runtime.VirtualObject("ObsLedger", policy="warn")


@obs.handler()
async def ok(ctx: restate.Context, n: int) -> int:
    return n + 1


@obs.handler()
async def clocky(ctx: restate.Context) -> float:
    return time.time()  # REA101, warned and counted


@obs.handler()
async def refuse(ctx: restate.Context) -> None:
    raise restate.TerminalError("no")


@ledger.handler()
async def book(ctx: restate.ObjectContext, amount: int) -> int:
    log = structlog.get_logger("ledger")
    ENTRIES[ctx.key()] += 1
    log.info("booking", amount=amount)
    await ctx.run_typed("reserve", lambda: amount)
    log.info("reserved")
    total = (await ctx.get("total") or 0) + amount
    ctx.set("total", total)
    await ctx.sleep(__import__("datetime").timedelta(milliseconds=1))
    log.info("booked", total=total)
    return total


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture(scope="module")
def restate_app():
    return instrument(restate.app([obs]), registry=REGISTRY, logging=False, tracing=False)


async def test_metrics_route_next_to_the_app_counts_real_invocations(restate_env) -> None:
    for n in range(3):
        assert (await restate_env.call("ObsSvc", "ok", n)).status_code == 200
    assert (await restate_env.call("ObsSvc", "clocky")).status_code == 200
    assert (await restate_env.call("ObsSvc", "refuse")).status_code >= 400
    async with httpx.AsyncClient(base_url=restate_env.app_server.url) as client:
        resp = await client.get("/metrics")
        assert (await client.get("/health")).status_code == 200  # the app still answers
    assert resp.status_code == 200
    m = _samples(resp.text)
    svc = (("handler", "ok"), ("outcome", "success"), ("service", "ObsSvc"))
    assert m[("rea_invocations_total", svc)] == 3
    assert m[("rea_handler_attempts_total", svc)] == 3
    assert m[("rea_handler_duration_seconds_count", (("handler", "ok"), ("service", "ObsSvc")))] == 3
    assert m[("rea_guard_violations_total", (("policy", "warn"), ("rule", "REA101")))] >= 1
    assert m[("rea_invocation_errors_total", (("handler", "refuse"), ("kind", "terminal"), ("service", "ObsSvc")))] == 1


def test_compensation_hook_counts() -> None:
    metrics = enable_metrics(REGISTRY)
    events.compensation("order", "refund", ok=True)
    events.compensation("order", "release", ok=False)
    assert metrics.compensations.labels("order", "run")._value.get() >= 1
    assert metrics.compensations.labels("order", "failed")._value.get() >= 1


@pytest.fixture
def log_lines():
    buf = io.StringIO()
    configure_logging(json=True, stream=buf)
    try:
        yield lambda: [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
    finally:
        structlog.reset_defaults()


async def test_replayed_invocation_logs_each_line_once(restate_harness, log_lines) -> None:
    with restate_harness.deploy(restate.app([ledger]), always_replay=True) as env:
        key = env.unique()
        resp = await env.call("ObsLedger", "book", 5, key=key)
        assert resp.status_code == 200 and resp.json() == 5
    assert ENTRIES[key] > 1, "the invocation never replayed: the test proves nothing"
    lines = [e for e in log_lines() if e.get("key") == key]
    assert [e["event"] for e in lines] == ["booking", "reserved", "booked"]
    ids = {e["invocation_id"] for e in lines}
    assert len(ids) == 1 and next(iter(ids)).startswith("inv_")
    assert {(e["service"], e["handler"]) for e in lines} == {("ObsLedger", "book")}


async def test_spans_per_attempt_through_the_sdk_tracer(restate_harness) -> None:
    from ._otel import global_exporter

    exporter = global_exporter()
    enable_tracing()
    svc = rea_runtime.Service("ObsTraced", policy="warn")

    @svc.handler()
    async def traced(ctx: restate.Context) -> float:
        return time.time()

    with restate_harness.deploy(restate.app([svc])) as env:
        assert (await env.call("ObsTraced", "traced")).status_code == 200
    spans = [s for s in exporter.get_finished_spans() if s.name == "ObsTraced/traced"]
    assert len(spans) == 1
    span = spans[0]
    assert span.attributes["restate.invocation_id"].startswith("inv_")
    assert [e.attributes["rea.rule"] for e in span.events] == ["REA101"]
    # (Parented under the server's trace when restate-server exports traces; this one does not.)


async def test_a_guard_violation_is_one_violation_event(restate_env) -> None:
    seen: list[dict] = []

    def record(**fields):
        seen.append(fields)

    events.subscribe("violation", record)
    try:
        assert (await restate_env.call("ObsSvc", "clocky")).status_code == 200
        assert (await restate_env.call("ObsSvc", "ok", 1)).status_code == 200  # clean: no event
    finally:
        events.unsubscribe("violation", record)
    assert seen == [{"code": "REA101", "policy": "warn"}]
