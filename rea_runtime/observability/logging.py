"""structlog for handlers: each line carries the invocation, and replays do not repeat lines.

Built on the SDK's replay-aware logging: `restate.logging` drops stdlib records while
`restate_context_is_replaying` is set; :func:`drop_replayed` does the same for structlog,
so a line logged before a suspension is not logged again when the invocation replays.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, MutableMapping, TextIO

import structlog
from restate.server_context import current_context, restate_context_is_replaying

__all__ = ["add_invocation_context", "drop_replayed", "configure_logging"]


def add_invocation_context(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Bind invocation_id, service, handler and key of the handler running here (if any).

    Outside a handler the line is logged as it is: restate-sdk's `current_context()` raises
    `LookupError` there (its context variable has no default), and start-up lines, rea's own
    definition-time warnings included, must not fail the import.
    """
    try:
        ctx = current_context()
    except LookupError:
        return event_dict
    if ctx is None:
        return event_dict
    try:
        event_dict.setdefault("invocation_id", ctx.request().id)
    except Exception:  # noqa: BLE001 - best effort: a log line must never fail
        pass
    handler = getattr(ctx, "handler", None)
    if handler is not None:
        event_dict.setdefault("service", getattr(getattr(handler, "service_tag", None), "name", None))
        event_dict.setdefault("handler", getattr(handler, "name", None))
    try:
        key = ctx.key()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - services have no key
        key = None
    if key:
        event_dict.setdefault("key", key)
    return event_dict


def drop_replayed(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop lines logged while the SDK replays the journal (they were logged the first time).

    rea's own guard warnings are kept: they are logged once per invocation already, and a
    violation may first show up during a replay.
    """
    if restate_context_is_replaying.get() and not str(event_dict.get("code", "")).startswith("REA"):
        raise structlog.DropEvent
    return event_dict


def configure_logging(*, json: bool = False, level: int = logging.INFO, stream: TextIO | None = None,
                      extra_processors: tuple[Any, ...] = ()) -> None:
    """Configure structlog process-wide with the two processors above (console or JSON lines)."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            drop_replayed,
            add_invocation_context,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *extra_processors,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=False,
    )
