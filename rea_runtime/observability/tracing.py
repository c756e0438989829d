"""OpenTelemetry spans per handler attempt, through the SDK's tracing extension.

`restate.ext.tracing.RestateTracer` parents spans under the trace the Restate server started
for the invocation and returns no-op spans while replaying, so a replay adds no duplicate span.
rea opens one span per attempt (`<service>/<handler>`) and adds guard violations as span events.
Exporting is the application's choice (configure an OpenTelemetry SDK TracerProvider).
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from .. import events

__all__ = ["enable_tracing", "tracer"]

_tracer: Any = None


def tracer() -> Any:
    """rea's tracer: the global provider's tracer wrapped by the SDK's `RestateTracer`."""
    global _tracer
    if _tracer is None:
        from restate.ext.tracing import RestateTracer

        _tracer = RestateTracer(trace.get_tracer("rea_runtime"))
    return _tracer


def _span(sdk_ctx: Any, service: str, handler: str) -> Any:
    attributes = {"restate.service": service, "restate.handler": handler}
    try:
        attributes["restate.invocation_id"] = sdk_ctx.request().id
    except Exception:  # noqa: BLE001 - attributes are best effort
        pass
    return tracer().start_as_current_span(f"{service}/{handler}", attributes=attributes)


def _violation(code: str, policy: str) -> None:
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event("rea.violation", {"rea.rule": code, "rea.policy": policy})


def enable_tracing() -> None:
    """Open a span around every guarded handler attempt (idempotent)."""
    events.subscribe("attempt", _span)
    events.subscribe("violation", _violation)
