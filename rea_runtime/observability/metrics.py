"""Prometheus metrics for guarded handlers, through `prometheus_client` (no home-made counters).

Counted from rea's runtime events: every handler attempt (a replay after a suspension is an
attempt too), invocations that finished (success or terminal error), errors, attempt duration,
guard violations per rule, security refusals, saga compensations and retries.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app

from .. import events

__all__ = ["Metrics", "enable_metrics", "metrics_app", "with_metrics"]


_families: dict[int, "Metrics"] = {}
_lock = threading.RLock()


def _check_registry(registry: Any, where: str) -> CollectorRegistry:
    if registry is None:
        return REGISTRY
    if not isinstance(registry, CollectorRegistry):
        raise TypeError(f"{where}: registry must be a prometheus_client CollectorRegistry, got "
                        f"{type(registry).__name__}; fix: registry=prometheus_client.CollectorRegistry() "
                        "(or leave it out for prometheus_client's default REGISTRY)")
    return registry


class Metrics:
    """The metric families, registered once per registry.

    ``Metrics(registry)`` again (or after :func:`enable_metrics`) returns the same families:
    prometheus_client refuses to register a metric name twice in one registry.
    """

    registry: CollectorRegistry

    def __new__(cls, registry: CollectorRegistry = REGISTRY) -> "Metrics":
        registry = _check_registry(registry, "Metrics")
        with _lock:
            existing = _families.get(id(registry))
            if existing is not None and existing.registry is registry:
                return existing
            metrics = super().__new__(cls)
            metrics._register(registry)
            _families[id(registry)] = metrics
            return metrics

    def _register(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        labels = ("service", "handler")
        self.attempts = Counter("rea_handler_attempts", "Handler attempts by outcome "
                                "(success, terminal_error, suspended, error).", (*labels, "outcome"), registry=registry)
        self.invocations = Counter("rea_invocations", "Invocations that finished (success or terminal_error).",
                                   (*labels, "outcome"), registry=registry)
        self.errors = Counter("rea_invocation_errors", "Attempts that failed: terminal (final) or error (retried).",
                              (*labels, "kind"), registry=registry)
        self.duration = Histogram("rea_handler_duration_seconds", "Wall time of one handler attempt.",
                                  labels, registry=registry)
        self.violations = Counter("rea_guard_violations", "Guard rule violations by rule code and policy.",
                                  ("rule", "policy"), registry=registry)
        self.compensations = Counter("rea_compensations", "Saga compensation steps by outcome (run, failed, skipped: already done under its key).",
                                     ("saga", "outcome"), registry=registry)
        self.active = Gauge("rea_active_invocations", "Handler attempts running in this process now.", labels,
                            registry=registry)
        self.outbound = Counter("rea_outbound_calls", "Calls made by handlers, by callee and outcome "
                                "(success, terminal_error; replayed completions are not counted again).",
                                (*labels, "callee_service", "callee_handler", "outcome"), registry=registry)
        self.outbound_duration = Histogram("rea_outbound_call_duration_seconds", "Wall time from a call's "
                                           "first await to its result.", (*labels, "callee_service", "callee_handler"),
                                           registry=registry)
        self.retries = Counter("rea_retries", "Failures that are retried: run (a run action's transient "
                               "error, retried by the SDK), compensation, breaker.", ("kind",), registry=registry)
        self.security_refusals = Counter("rea_security_refusals", "Requests refused (strict) or that would "
                                         "be (permissive).", ("mode", "status"), registry=registry)

    # -- event listeners ------------------------------------------------------------------------

    def on_attempt_done(self, service: str, handler: str, outcome: str, seconds: float) -> None:
        self.attempts.labels(service, handler, outcome).inc()
        self.duration.labels(service, handler).observe(seconds)
        if outcome in ("success", "terminal_error"):
            self.invocations.labels(service, handler, outcome).inc()
        if outcome in ("terminal_error", "error"):
            self.errors.labels(service, handler, "terminal" if outcome == "terminal_error" else "retryable").inc()

    def on_attempt(self, sdk_ctx: Any, service: str, handler: str) -> Any:
        return _Active(self.active.labels(service, handler))

    def on_outbound(self, service: str, handler: str, callee_service: str, callee_handler: str, outcome: str,
                    seconds: float, replayed: bool, **_: Any) -> None:
        if replayed:
            return
        self.outbound.labels(service, handler, callee_service, callee_handler, outcome).inc()
        self.outbound_duration.labels(service, handler, callee_service, callee_handler).observe(seconds)

    def on_violation(self, code: str, policy: str) -> None:
        self.violations.labels(code, policy).inc()

    def on_compensation(self, saga: str, step: str, ok: bool, skipped: bool = False, **_: Any) -> None:
        self.compensations.labels(saga, "skipped" if skipped else "run" if ok else "failed").inc()

    def on_retry(self, kind: str = "run", **_: Any) -> None:
        self.retries.labels(kind).inc()

    def on_security_refusal(self, mode: str, status: int) -> None:
        self.security_refusals.labels(mode, str(status)).inc()


class _Active:
    """Counts one attempt as active while it runs (the `attempt` hook's context manager)."""

    __slots__ = ("gauge",)

    def __init__(self, gauge: Any) -> None:
        self.gauge = gauge

    def __enter__(self) -> None:
        self.gauge.inc()

    def __exit__(self, *exc: Any) -> None:
        self.gauge.dec()


_enabled: set[int] = set()


def enable_metrics(registry: CollectorRegistry | None = None) -> Metrics:
    """Start counting (idempotent per registry); the default is prometheus_client's REGISTRY."""
    registry = _check_registry(registry, "enable_metrics")
    with _lock:
        metrics = Metrics(registry)
        if id(metrics) not in _enabled:
            _enabled.add(id(metrics))
            events.subscribe("attempt_done", metrics.on_attempt_done)
            events.subscribe("attempt", metrics.on_attempt)
            events.subscribe("outbound", metrics.on_outbound)
            events.subscribe("violation", metrics.on_violation)
            events.subscribe("compensation", metrics.on_compensation)
            events.subscribe("security_refusal", metrics.on_security_refusal)
            events.subscribe("retry", metrics.on_retry)
    return metrics


def metrics_app(registry: CollectorRegistry | None = None) -> Any:
    """prometheus_client's own ASGI exposition app."""
    return make_asgi_app(registry=_check_registry(registry, "metrics_app"))


def _check_path(path: Any, where: str = "with_metrics") -> str:
    """``path`` as the route compares it with a request's path, refused if no request could match
    it (no leading ``/``, a query) or if it would hide Restate's own endpoints."""
    if not isinstance(path, str):
        raise TypeError(f"{where}: the metrics path must be a str such as '/metrics', got {path!r}; "
                        "fix: metrics_path='/metrics' (to serve no metrics, do not wrap the app)")
    if not path.startswith("/") or "?" in path or "#" in path:
        fix = "/" + path.lstrip("/").split("?")[0].split("#")[0]
        raise ValueError(f"{where}: the metrics path {path!r} is not an absolute path, so no request "
                         f"would ever reach it; fix: {fix!r}")
    if path == "/discover" or path.startswith(("/discover/", "/invoke/")):
        raise ValueError(f"{where}: the metrics path {path!r} would hide restate-server's requests to the "
                         "SDK (/discover, /invoke/...); fix: '/metrics'")
    return path


def with_metrics(app: Any, path: str = "/metrics", registry: CollectorRegistry | None = None) -> Any:
    """``app`` with ``path`` answered by Prometheus; everything else goes to ``app`` unchanged.

    Put it inside the security middleware's ``unsigned_paths`` (the default includes /metrics):
    a Prometheus scraper does not carry Restate's request signature. ``path`` must start with
    ``/`` (a request's path always does): anything else is refused here, not silently unserved.
    """
    if not callable(app):
        raise TypeError(f"with_metrics: app must be an ASGI app (e.g. restate.app([...])), got {app!r}")
    path = _check_path(path)
    exposition = metrics_app(registry)

    async def route(scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("path") == path:
            await exposition(scope, receive, send)
        else:
            await app(scope, receive, send)

    return route
