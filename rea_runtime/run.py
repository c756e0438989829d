"""`run` / `run_typed`: run actions that are named, checked for serializability, with retries.

The SDK journals a run under its name and serializes the result *after* the action ran; a
result it cannot serialize turns into a retry loop that runs the action again each time. These
wrappers check the result inside the action, with any serde (the guarded `ctx.run` checks the
SDK's own serdes only: `unwritable`), and fail the run terminally with a message that names it.

The SDK retries a run whose action raised a non-terminal error (a new attempt of the
invocation replays up to it and runs it again) and has no hook for it: the wrapper reports
each such failure as the ``retry`` event, with the attempt number as this process saw it.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
import threading
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Awaitable, Callable, Optional, TypeVar

from restate import RunOptions, TerminalError
from restate.serde import DefaultSerde, Serde
from restate.types import extract_core_type

from . import events
from .arguments import check_name, run_options_fault
from .arguments import short as _short
from .context import GuardedContext
from .guards import CURRENT
from .misuse import check_action
from .unwritable import refused_result

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


_FAILED: "OrderedDict[tuple[str, str], int]" = OrderedDict()
"""(invocation id, run name) -> transient failures of that run seen by this process."""
_FAILED_MAX = 4096
_failed_lock = threading.Lock()


def _invocation_id(sdk_ctx: Any) -> str:
    return getattr(getattr(sdk_ctx, "invocation", None), "invocation_id", None) or "?"


def run_failed(sdk_ctx: Any, name: str, err: BaseException, max_attempts: Optional[int]) -> None:
    """A run action raised a retryable error: emit ``retry`` (kind ``run``) with its attempt number,
    unless that was its ``max_attempts``-th attempt (the SDK then fails the run terminally).

    The number counts the failures this process saw for the invocation's run of that name: an
    attempt retried in another process, or after a restart, starts again at 1."""
    key = (_invocation_id(sdk_ctx), name)
    with _failed_lock:
        attempt = _FAILED.pop(key, 0) + 1
        last = max_attempts is not None and attempt >= max_attempts
        if not last:
            _FAILED[key] = attempt
            if len(_FAILED) > _FAILED_MAX:  # invocations that ended elsewhere: stay bounded
                _FAILED.popitem(last=False)
    if not last and events.listening("retry"):  # the last attempt's failure is the run's terminal error
        service, handler = events.handler_names(sdk_ctx, "?")
        events.emit("retry", kind="run", what=f"run {name}", attempt=attempt, max_attempts=max_attempts,
                    error=f"{type(err).__name__}: {err}", service=service, handler=handler)


def run_settled(sdk_ctx: Any, name: str) -> None:
    """The run produced a result (or a terminal error): forget its failure count."""
    if _FAILED:
        with _failed_lock:
            _FAILED.pop((_invocation_id(sdk_ctx), name), None)


def _checked(name: str, action: Callable[..., Any], serde: Serde[Any], sdk_ctx: Any,
             max_attempts: Optional[int]) -> Callable[..., Any]:
    def check(result: Any) -> Any:
        try:
            serde.serialize(result)
        except Exception as err:  # noqa: BLE001 - any serializer failure
            hint = getattr(serde, "type_hint", None) or getattr(serde, "model", None)
            raise refused_result(f"run {name!r}", result, err, hint=hint, typed=True) from err
        return result

    if inspect.iscoroutinefunction(action):

        @functools.wraps(action)
        async def async_action(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await action(*args, **kwargs)
            except TerminalError:
                run_settled(sdk_ctx, name)
                raise
            except Exception as err:  # noqa: BLE001 - reported, then the SDK retries it
                run_failed(sdk_ctx, name, err, max_attempts)
                raise
            run_settled(sdk_ctx, name)
            return check(result)

        return async_action

    @functools.wraps(action)
    def sync_action(*args: Any, **kwargs: Any) -> Any:
        try:
            result = action(*args, **kwargs)
        except TerminalError:
            run_settled(sdk_ctx, name)
            raise
        except Exception as err:  # noqa: BLE001 - reported, then the SDK retries it
            run_failed(sdk_ctx, name, err, max_attempts)
            raise
        run_settled(sdk_ctx, name)
        return check(result)

    return sync_action


_FIELDS = ("max_attempts", "max_duration", "max_retry_duration", "initial_retry_interval", "max_retry_interval",
           "retry_interval_factor", "serde")


def _check_options(name: str, opts: RunOptions[Any]) -> None:
    """The options, checked before the run: the SDK hands the retry options to its VM only when
    the action fails, and a bad one there leaves the invocation hanging with nothing logged (or,
    for ``max_attempts=0``, quietly makes one attempt). A `TerminalError`: retrying cannot fix
    code. Stricter than the guarded ``ctx.run`` (`arguments.run_option_fault`)."""
    fault = run_options_fault(opts, strict=True, fields=_FIELDS)
    if fault is not None:
        field, value, fix = fault
        raise TerminalError(f"run {name!r}: {field} is {value}; fix: {fix}")


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
    check_name("rea_runtime.run_typed", name, action)
    check_action(CURRENT.get(), action, name, sys._getframe(1))  # REA208, before it is inspected
    if options is not None and not isinstance(options, RunOptions):
        raise TerminalError(f"run {name!r}: options is {type(options).__name__} {_short(options)}; fix: "
                            f"options=restate.RunOptions(...), or max_attempts= / max_duration= directly")
    opts: RunOptions[Any] = copy.copy(options) if options is not None else RunOptions()
    if max_attempts is not None:
        opts.max_attempts = max_attempts
    if max_duration is not None:
        opts.max_duration = max_duration
    _check_options(name, opts)
    if opts.max_retry_duration is not None:  # the SDK's deprecated name: its run_typed reads max_duration only
        if opts.max_duration is None:
            opts.max_duration = opts.max_retry_duration  # (else the run would retry without the bound asked for)
        elif opts.max_duration != opts.max_retry_duration:
            raise TerminalError(f"run {name!r}: max_duration is {opts.max_duration} and max_retry_duration (its "
                                f"deprecated name) is {opts.max_retry_duration}; fix: max_duration alone")
    if not callable(action):  # warned about: the SDK fails on it as it would without rea
        return ctx.run_typed(name, action, opts, *args, **kwargs)
    opts.serde = _serde_for(action, opts)
    sdk_ctx = ctx.unwrap() if isinstance(ctx, GuardedContext) else ctx
    return ctx.run_typed(name, _checked(name, action, opts.serde, sdk_ctx, opts.max_attempts), opts, *args, **kwargs)


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
    check_name("rea_runtime.run", name, action)  # before run_typed, so the message names this helper
    return run_typed(ctx, name, action, max_attempts=max_attempts, max_duration=max_duration, options=options)
