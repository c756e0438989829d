"""OpenTelemetry spans per handler attempt and per outbound call.

One span per attempt (`<service>/<handler>`), parented under the trace the Restate server
started for the invocation (its `traceparent` attempt header, as the SDK's `RestateTracer`
does). Unlike `RestateTracer`, an attempt that starts by replaying its journal still gets its
span (it is a real attempt: it ran, and it may fail), marked ``restate.replay=true``. Guard
violations are span events. Each call a handler makes gets a child span
(`call <service>/<handler>`) from its first await to its result, unless its result came from
the journal. Exporting is the application's choice (an OpenTelemetry SDK TracerProvider).
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from .. import events

__all__ = ["enable_tracing", "tracer"]

_tracer: Any = None


def _root(sdk_ctx: Any) -> Any:
    """The server's trace context from the attempt headers (None: start a new trace)."""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    try:
        headers = sdk_ctx.request().attempt_headers
    except Exception:  # noqa: BLE001 - no request: no parent
        return None
    return TraceContextTextMapPropagator().extract(headers) if headers else None


def _replaying(sdk_ctx: Any) -> bool:
    try:
        return bool(sdk_ctx.vm.is_replaying())
    except Exception:  # noqa: BLE001 - not the server context
        return False


def tracer() -> Any:
    """rea's tracer: the global provider's tracer wrapped by the SDK's `RestateTracer`."""
    global _tracer
    if _tracer is None:
        from restate.ext.tracing import RestateTracer

        _tracer = RestateTracer(trace.get_tracer("rea_runtime"))
    return _tracer


def _span(sdk_ctx: Any, service: str, handler: str) -> Any:
    attributes: dict[str, Any] = {"restate.service": service, "restate.handler": handler,
                                  "restate.replay": _replaying(sdk_ctx)}
    try:
        attributes["restate.invocation_id"] = sdk_ctx.request().id
    except Exception:  # noqa: BLE001 - attributes are best effort
        pass
    return trace.get_tracer("rea_runtime").start_as_current_span(
        f"{service}/{handler}", context=_root(sdk_ctx), attributes=attributes)


def _outbound(service: str, handler: str, callee_service: str, callee_handler: str, outcome: str,
              seconds: float, replayed: bool, start_ns: int, end_ns: int, **_: Any) -> None:
    if replayed:
        return
    span = trace.get_tracer("rea_runtime").start_span(
        f"call {callee_service}/{callee_handler}", start_time=start_ns, kind=trace.SpanKind.CLIENT,
        attributes={"restate.callee.service": callee_service, "restate.callee.handler": callee_handler,
                    "rea.outcome": outcome})
    if outcome != "success":
        span.set_status(trace.Status(trace.StatusCode.ERROR, outcome))
    span.end(end_time=end_ns)


def _violation(code: str, policy: str) -> None:
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event("rea.violation", {"rea.rule": code, "rea.policy": policy})


def enable_tracing() -> None:
    """Open a span around every guarded handler attempt (idempotent)."""
    events.subscribe("attempt", _span)
    events.subscribe("violation", _violation)
    events.subscribe("outbound", _outbound)
