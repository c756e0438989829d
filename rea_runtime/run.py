"""`run` / `run_typed`: run actions that are named, checked for serializability, with retries.

The SDK journals a run under its name and serializes the result *after* the action ran; a
result it cannot serialize turns into an opaque retry loop. These wrappers check the result
inside the action and fail the run terminally with a message that names it.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
from datetime import timedelta
from typing import Any, Awaitable, Callable, Optional, TypeVar

from restate import RunOptions, TerminalError
from restate.serde import DefaultSerde, Serde
from restate.types import extract_core_type

from .guards import CURRENT
from .misuse import check_action

__all__ = ["run", "run_typed"]

T = TypeVar("T")


def _serde_for(action: Callable[..., Any], options: RunOptions[Any]) -> Serde[Any]:
    if not isinstance(options.serde, DefaultSerde):
        return options.serde
    hint = options.type_hint
    if hint is None:
        hint = inspect.signature(action, eval_str=True).return_annotation
        if hint is inspect.Signature.empty:
            hint = None
    kind, core = extract_core_type(hint)
    if kind in ("simple", "optional"):
        hint = core
    return DefaultSerde().with_maybe_type(hint)


def _checked(name: str, action: Callable[..., Any], serde: Serde[Any]) -> Callable[..., Any]:
    def check(result: Any) -> Any:
        try:
            serde.serialize(result)
        except Exception as err:  # noqa: BLE001 - any serializer failure
            raise TerminalError(
                f"run {name!r} returned a {type(result).__name__} that cannot be journaled ({err}); "
                f"return JSON-compatible data or a pydantic model, or pass a serde / type_hint"
            ) from err
        return result

    if inspect.iscoroutinefunction(action):

        @functools.wraps(action)
        async def async_action(*args: Any, **kwargs: Any) -> Any:
            return check(await action(*args, **kwargs))

        return async_action

    @functools.wraps(action)
    def sync_action(*args: Any, **kwargs: Any) -> Any:
        return check(action(*args, **kwargs))

    return sync_action


def run_typed(
    ctx: Any,
    name: str,
    action: Callable[..., T] | Callable[..., Awaitable[T]],
    /,
    *args: Any,
    max_attempts: Optional[int] = None,
    max_duration: Optional[timedelta] = None,
    options: Optional[RunOptions[T]] = None,
    **kwargs: Any,
) -> Awaitable[T]:
    """``await run_typed(ctx, "charge", charge, order_id, max_attempts=3)``."""
    if not isinstance(name, str) or not name.strip():
        raise TypeError("rea_runtime.run_typed: a run needs a non-empty name (it labels the journal entry)")
    check_action(CURRENT.get(), action, name, sys._getframe(1))  # REA208, before it is inspected
    opts: RunOptions[Any] = copy.copy(options) if options is not None else RunOptions()
    if not callable(action):  # warned about: the SDK fails on it as it would without rea
        return ctx.run_typed(name, action, opts, *args, **kwargs)
    if max_attempts is not None:
        opts.max_attempts = max_attempts
    if max_duration is not None:
        opts.max_duration = max_duration
    opts.serde = _serde_for(action, opts)
    return ctx.run_typed(name, _checked(name, action, opts.serde), opts, *args, **kwargs)


def run(
    ctx: Any,
    name: str,
    action: Callable[[], T] | Callable[[], Awaitable[T]],
    /,
    *,
    max_attempts: Optional[int] = None,
    max_duration: Optional[timedelta] = None,
    options: Optional[RunOptions[T]] = None,
) -> Awaitable[T]:
    """``await run(ctx, "fetch", lambda: fetch(url))``: a named, checked, zero-argument action."""
    return run_typed(ctx, name, action, max_attempts=max_attempts, max_duration=max_duration, options=options)
