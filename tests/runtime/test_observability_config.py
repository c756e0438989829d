"""Observability set-up without a server: logging outside handlers, and set-up mistakes that are
refused at the call that got them (never a traceback from prometheus/structlog, never a silent no-op)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any, Iterator

import pytest
import restate
import structlog
from prometheus_client import CollectorRegistry

import rea_runtime
from rea_runtime import events
from rea_runtime.observability import Metrics, configure_logging, enable_metrics, instrument, with_metrics


@pytest.fixture
def buf() -> Iterator[io.StringIO]:
    out = io.StringIO()
    try:
        yield out
    finally:
        structlog.reset_defaults()


def _lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


def test_logging_outside_a_handler_logs_without_invocation_fields(buf: io.StringIO) -> None:
    """A start-up line is logged (restate-sdk's context variable raises outside a handler)."""
    configure_logging(json=True, stream=buf)
    structlog.get_logger().info("service starting", port=9080)
    [line] = _lines(buf)
    assert line["event"] == "service starting" and line["port"] == 9080
    assert not {"invocation_id", "service", "handler", "key"} & set(line)


def test_instrument_then_define_logs_the_definition_warning(buf: io.StringIO) -> None:
    """The documented one-liner before the handlers: rea's REA203 warning is logged, the import goes on."""
    svc = rea_runtime.VirtualObject("ObsCfgOrders", policy="warn")
    instrument(rea_runtime.app([svc]), registry=CollectorRegistry(), tracing=False, json=True, stream=buf)

    @svc.handler(kind="shared")
    async def peek(ctx: restate.ObjectContext) -> str:
        return "x"

    assert "peek" in svc.handlers
    assert [line["code"] for line in _lines(buf)] == ["REA203"]


def test_metrics_twice_reuse_the_registered_families() -> None:
    """prometheus_client refuses a name twice per registry: a second Metrics is the first one."""
    assert Metrics() is Metrics()  # the default registry
    registry = CollectorRegistry()
    enabled = enable_metrics(registry)
    assert Metrics(registry) is enabled and enable_metrics(registry) is enabled
    events.emit("violation", code="REA101", policy="warn")
    assert Metrics(registry).violations.labels("REA101", "warn")._value.get() == 1  # counted once
    assert Metrics(CollectorRegistry()) is not enabled


def _app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("never called")


@pytest.mark.parametrize(("path", "error", "needle"), [
    ("metrics", ValueError, "fix: '/metrics'"),
    ("/metrics?format=text", ValueError, "fix: '/metrics'"),
    ("/discover", ValueError, "would hide restate-server's requests"),
    ("/invoke/metrics", ValueError, "would hide restate-server's requests"),
    (None, TypeError, "must be a str such as '/metrics'"),
])
def test_a_metrics_path_no_request_could_reach_is_refused(path: Any, error: type, needle: str) -> None:
    """Before: accepted, and /metrics was silently never served. A refused call configures nothing."""
    structlog.reset_defaults()
    with pytest.raises(error, match=None) as err:
        instrument(_app, metrics_path=path, registry=CollectorRegistry())
    assert needle in str(err.value) and str(err.value).startswith("instrument: ")
    assert not structlog.is_configured()
    with pytest.raises(error):
        with_metrics(_app, path=path)


def test_registry_and_app_are_checked() -> None:
    with pytest.raises(TypeError, match="registry must be a prometheus_client CollectorRegistry, got int"):
        instrument(_app, registry=5)
    with pytest.raises(TypeError, match="registry must be a prometheus_client CollectorRegistry"):
        Metrics(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="app must be an ASGI app"):
        with_metrics(None)
    with pytest.raises(TypeError, match="json configure logging, which logging=False turns off"):
        instrument(_app, registry=CollectorRegistry(), logging=False, json=True)


def test_level_is_a_name_or_an_int(buf: io.StringIO) -> None:
    with pytest.raises(ValueError, match="level='LOUD' is not a log level; fix: one of debug, info, warning"):
        configure_logging(level="LOUD")
    with pytest.raises(TypeError, match="level must be a level name or int"):
        configure_logging(level=2.5)  # type: ignore[arg-type]
    configure_logging(level="WARNING", json=True, stream=buf)
    structlog.get_logger().info("quiet")
    structlog.get_logger().warning("loud")
    configure_logging(level=logging.ERROR, json=True, stream=buf)
    structlog.get_logger().warning("quiet too")
    assert [line["event"] for line in _lines(buf)] == ["loud"]


@pytest.mark.parametrize("stream", ["/tmp/rea-x.log", Path("/tmp/rea-x.log")])
def test_a_path_for_stream_is_refused_with_the_open_call(stream: Any) -> None:
    """Before: accepted, and the first line logged raised TypeError from structlog."""
    structlog.reset_defaults()
    with pytest.raises(TypeError, match=r"got the path .*fix: stream=open\('/tmp/rea-x.log', 'a'\)"):
        configure_logging(stream=stream)
    assert not structlog.is_configured()


def test_a_stream_that_cannot_be_written_is_refused() -> None:
    with pytest.raises(TypeError, match="must be an open text stream .*got int"):
        configure_logging(stream=5)  # type: ignore[arg-type]
