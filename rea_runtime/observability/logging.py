"""structlog for handlers: each line carries the invocation, and replays do not repeat lines.

Built on the SDK's replay-aware logging: `restate.logging` drops stdlib records while
`restate_context_is_replaying` is set; :func:`drop_replayed` does the same for structlog,
so a line logged before a suspension is not logged again when the invocation replays.
"""

from __future__ import annotations

import logging
import os
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


_LEVELS = ("debug", "info", "warning", "error", "critical")


def _level(level: Any) -> int:
    """``level`` as structlog's filtering logger takes it, refused here if it is not a level."""
    if isinstance(level, bool) or not isinstance(level, (int, str)):
        raise TypeError(f"configure_logging: level must be a level name or int, got {level!r}; "
                        "fix: level='info' or level=logging.INFO")
    if isinstance(level, int):
        return level
    name = level.lower()
    if name not in structlog.processors.NAME_TO_LEVEL:
        raise ValueError(f"configure_logging: level={level!r} is not a log level; "
                         f"fix: one of {', '.join(_LEVELS)} (any case), or an int such as logging.INFO")
    return structlog.processors.NAME_TO_LEVEL[name]


def _stream(stream: Any) -> TextIO:
    """The stream lines go to, checked now: a bad one would otherwise fail at the first line logged."""
    if stream is None:
        return sys.stdout
    if isinstance(stream, (str, bytes, os.PathLike)):
        raise TypeError(f"configure_logging: stream must be an open text stream, got the path {stream!r}; "
                        f"fix: stream=open({os.fsdecode(stream)!r}, 'a') (rea does not open or close files for you)")
    if not (callable(getattr(stream, "write", None)) and callable(getattr(stream, "flush", None))):
        raise TypeError(f"configure_logging: stream must be an open text stream (with write() and flush()), "
                        f"got {type(stream).__name__}; fix: sys.stderr, io.StringIO() or open(path, 'a')")
    try:
        structlog.PrintLogger(stream)
    except TypeError as err:
        raise TypeError(f"configure_logging: structlog cannot log to this {type(stream).__name__} ({err}); "
                        "fix: sys.stderr, io.StringIO() or open(path, 'a')") from None
    return stream


def configure_logging(*, json: bool = False, level: int | str = logging.INFO, stream: TextIO | None = None,
                      extra_processors: tuple[Any, ...] = ()) -> None:
    """Configure structlog process-wide with the two processors above (console or JSON lines).

    ``level``: a name (``"info"``, any case) or an int (``logging.INFO``). ``stream``: an open text
    stream (default stdout); a path is refused, pass ``open(path, "a")``. Both are checked here.
    """
    min_level, out = _level(level), _stream(stream)
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
        wrapper_class=structlog.make_filtering_bound_logger(min_level),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
