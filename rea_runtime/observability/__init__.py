"""Observability with the ecosystem's libraries: prometheus_client, structlog, OpenTelemetry.

`instrument(app)` is the one call most services need: it enables the metrics, configures
replay-aware structlog, starts spans per handler attempt, and serves `/metrics` next to the app.
"""

from __future__ import annotations

from typing import Any

from .logging import add_invocation_context, configure_logging, drop_replayed
from .metrics import Metrics, _check_path, _check_registry, enable_metrics, metrics_app, with_metrics
from .tracing import enable_tracing

__all__ = [
    "instrument", "Metrics", "enable_metrics", "metrics_app", "with_metrics", "configure_logging",
    "add_invocation_context", "drop_replayed", "enable_tracing",
]


def instrument(app: Any, *, metrics_path: str = "/metrics", logging: bool = True, tracing: bool = True,
               registry: Any = None, **logging_options: Any) -> Any:
    """Metrics + `/metrics` route, replay-aware structlog and per-attempt spans, around ``app``.

    Every argument is checked before anything is configured: a mistake changes nothing.
    """
    if not callable(app):
        raise TypeError(f"instrument: app must be an ASGI app (e.g. restate.app([...])), got {app!r}")
    _check_path(metrics_path, "instrument")
    _check_registry(registry, "instrument")
    if logging:
        configure_logging(**logging_options)
    elif logging_options:
        raise TypeError(f"instrument: {', '.join(logging_options)} configure logging, which logging=False "
                        "turns off; fix: drop them, or logging=True")
    enable_metrics(registry)
    if tracing:
        enable_tracing()
    return with_metrics(app, path=metrics_path, registry=registry)
