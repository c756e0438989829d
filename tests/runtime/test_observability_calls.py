"""Outbound calls (metric by callee and outcome, child span), the active-invocations gauge,
replayed attempts marked on their spans, and the handler span parented under the trace the
restate-server started (a server with tracing on, its `traceparent` checked against the span),
all on real servers with the OpenTelemetry SDK's in-memory exporter."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Iterator

import pytest
import restate
from prometheus_client import CollectorRegistry

import rea_runtime
from rea_runtime.observability import enable_metrics, enable_tracing
from rea_runtime.testing import RestateServer
from rea_runtime.testing.harness import Deployment
from rea_runtime.testing.serve import AppServer

from ._otel import global_exporter

REGISTRY = CollectorRegistry()
METRICS = enable_metrics(REGISTRY)
enable_tracing()
EXPORTER = global_exporter()

callee = rea_runtime.Service("ObsCallee")


@callee.handler()
async def double(ctx: restate.Context, n: int) -> int:
    return 2 * n


@callee.handler()
async def refuse(ctx: restate.Context, n: int) -> int:
    raise restate.TerminalError("refused", status_code=409)


caller = rea_runtime.Service("ObsCaller")


@caller.handler()
async def fan(ctx: restate.Context, n: int) -> dict:
    active = REGISTRY.get_sample_value("rea_active_invocations", {"service": "ObsCaller", "handler": "fan"})
    total = 0
    for i in range(n):
        total += await ctx.service_call(double, i)
        await ctx.sleep(timedelta(milliseconds=1))
    try:
        await ctx.service_call(refuse, 0)
    except restate.TerminalError:
        pass
    return {"total": total, "active": active, "traceparent": ctx.request().attempt_headers.get("traceparent", "")}


def _outbound(callee_handler: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("rea_outbound_calls_total", {
        "service": "ObsCaller", "handler": "fan", "callee_service": "ObsCallee",
        "callee_handler": callee_handler, "outcome": outcome}) or 0.0


@pytest.fixture(scope="module")
def restate_options() -> dict:
    return {"always_replay": True}  # every await suspends: each call's result is replayed later


@pytest.fixture(scope="module")
def restate_app():
    return restate.app([callee, caller])


async def test_calls_are_counted_once_by_callee_and_outcome_despite_replays(restate_env):
    EXPORTER.clear()
    resp = await restate_env.call("ObsCaller", "fan", 3)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["total"] == 0 + 2 + 4
    assert out["active"] >= 1  # the gauge counted the attempt running the handler
    assert REGISTRY.get_sample_value("rea_active_invocations", {"service": "ObsCaller", "handler": "fan"}) == 0
    assert (_outbound("double", "success"), _outbound("refuse", "terminal_error")) == (3, 1)
    inv = resp.headers["x-restate-id"]
    attempts = [s for s in EXPORTER.get_finished_spans()
                if s.name == "ObsCaller/fan" and s.attributes["restate.invocation_id"] == inv]
    assert len(attempts) >= 4, "always_replay should have made several attempts"
    first, *later = sorted(attempts, key=lambda s: s.start_time)
    assert first.attributes["restate.replay"] is False
    assert all(s.attributes["restate.replay"] is True for s in later)
    calls = [s for s in EXPORTER.get_finished_spans() if s.name.startswith("call ObsCallee/")
             and s.parent is not None and s.parent.span_id in {a.context.span_id for a in attempts}]
    assert sorted(s.name for s in calls) == ["call ObsCallee/double"] * 3 + ["call ObsCallee/refuse"]
    assert [s.status.status_code.name for s in calls if s.name.endswith("refuse")] == ["ERROR"]


@pytest.fixture(scope="module")
def traced_env() -> Iterator[Deployment]:
    """A server with tracing on (exporting to a closed port: only the propagation matters)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = RestateServer(extra_env={"RESTATE_TRACING_ENDPOINT": f"http://127.0.0.1:{port}"}).start()
    app = AppServer(restate.app([callee, caller])).start()
    try:
        yield Deployment(server, app, server.register(app.url))
    finally:
        app.stop()
        server.stop()


async def test_handler_span_is_parented_under_the_servers_trace(traced_env):
    EXPORTER.clear()
    resp = await traced_env.call("ObsCaller", "fan", 1)
    assert resp.status_code == 200, resp.text
    version, trace_id, parent_id, _ = resp.json()["traceparent"].split("-")
    assert version == "00"
    spans = [s for s in EXPORTER.get_finished_spans() if s.name == "ObsCaller/fan"]
    assert spans
    for span in spans:  # every attempt, in the trace the server started, under its span
        assert format(span.context.trace_id, "032x") == trace_id
        assert span.parent is not None and format(span.parent.span_id, "016x") == parent_id
