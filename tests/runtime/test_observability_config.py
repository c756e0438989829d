"""Observability set-up without a server: logging outside handlers, and set-up mistakes that are
refused at the call that got them (never a traceback from prometheus/structlog, never a silent no-op)."""

from __future__ import annotations

import io
import json
from typing import Callable, Iterator

import pytest
import restate
import structlog
from prometheus_client import CollectorRegistry

import rea_runtime
from rea_runtime.observability import configure_logging, instrument


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
