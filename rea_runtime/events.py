"""Runtime events for optional listeners: `attempt`, `attempt_done`, `violation`, `outbound`,
`saga_step`, `compensation`, `retry` (kind `run`, `compensation` or `breaker`), `breaker` (state
changes), `security_refusal`; their fields are listed in docs/runtime.md.

Guards and the security middleware report here instead of importing prometheus or tracing:
observability stays optional, and a listener that fails never breaks an invocation.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import structlog

__all__ = ["subscribe", "unsubscribe", "emit", "compensation"]

Listener = Callable[..., None]
_listeners: dict[str, tuple[Listener, ...]] = {}
_lock = threading.Lock()


def subscribe(event: str, listener: Listener) -> None:
    """Call ``listener(**fields)`` on every ``event`` (idempotent per listener)."""
    with _lock:
        current = _listeners.get(event, ())
        if listener not in current:
            _listeners[event] = current + (listener,)


def unsubscribe(event: str, listener: Listener) -> None:
    with _lock:
        _listeners[event] = tuple(x for x in _listeners.get(event, ()) if x is not listener)


def emit(event: str, **fields: Any) -> None:
    for listener in _listeners.get(event, ()):
        try:
            listener(**fields)
        except Exception:  # noqa: BLE001 - observability must not fail the invocation
            structlog.get_logger("rea_runtime").exception("event listener failed", event_name=event)


def listening(event: str) -> bool:
    """Whether anyone listens (so the caller can skip work nobody would see)."""
    return bool(_listeners.get(event))


def compensation(saga: str, step: str, ok: bool, attempts: int = 1, skipped: bool = False) -> None:
    """One compensation ran (``ok``) or gave up after ``attempts``, or was ``skipped`` (done before)."""
    emit("compensation", saga=saga, step=step, ok=ok, attempts=attempts, skipped=skipped)


def handler_names(sdk_ctx: Any, fallback: str) -> tuple[str, str]:
    """(service, handler) of the SDK context's handler, for labels and log fields."""
    handler = getattr(sdk_ctx, "handler", None)
    service = getattr(getattr(handler, "service_tag", None), "name", None) or "?"
    return service, getattr(handler, "name", None) or fallback


class _Attempt:
    """Context managers contributed by listeners of ``attempt`` (e.g. a tracing span)."""

    __slots__ = ("managers",)

    def __init__(self, managers: list[Any]) -> None:
        self.managers = managers

    def __enter__(self) -> "_Attempt":
        entered = []
        try:
            for m in self.managers:
                m.__enter__()
                entered.append(m)
        except Exception:  # noqa: BLE001 - a broken listener must not fail the attempt
            structlog.get_logger("rea_runtime").exception("attempt listener failed")
        self.managers = entered
        return self

    def __exit__(self, *exc: Any) -> None:
        for m in reversed(self.managers):
            try:
                m.__exit__(*exc)
            except Exception:  # noqa: BLE001
                structlog.get_logger("rea_runtime").exception("attempt listener failed")


_NO_ATTEMPT = _Attempt([])


def attempt(sdk_ctx: Any, fallback: str) -> _Attempt:
    """Enter the context managers `attempt` listeners return for one handler attempt."""
    listeners = _listeners.get("attempt", ())
    if not listeners:
        return _NO_ATTEMPT
    service, handler = handler_names(sdk_ctx, fallback)
    managers: list[Any] = []
    for listener in listeners:
        try:
            manager = listener(sdk_ctx=sdk_ctx, service=service, handler=handler)
        except Exception:  # noqa: BLE001
            structlog.get_logger("rea_runtime").exception("attempt listener failed")
            continue
        if manager is not None:
            managers.append(manager)
    return _Attempt(managers)


def attempt_done(sdk_ctx: Any, fallback: str, outcome: str, seconds: float) -> None:
    """One handler attempt ended: success, terminal_error, suspended or error (retried)."""
    if not _listeners.get("attempt_done"):
        return
    service, handler = handler_names(sdk_ctx, fallback)
    emit("attempt_done", service=service, handler=handler, outcome=outcome, seconds=seconds)
