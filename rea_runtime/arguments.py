"""Arguments the SDK can never accept, refused as a `TerminalError` that names them and the fix.

Handed on, such an argument makes the SDK (or its VM, a Rust extension) raise a plain
`TypeError`, `AttributeError`, `OverflowError` or `ValueError` inside the handler, which
Restate retries forever: the same code fails the same way on every attempt (or, for a run's
retry options, which the SDK hands its VM only once the action failed, leaves the invocation
running for good with nothing logged). Only what fails for certain is refused (a run name or
state key that is no str, a duration that is no timedelta); a value the SDK takes, however odd
(an empty run name, a `str` subclass), is left to it.

The callers test the common case inline (`type(x) is str`), or look at the arguments only once
the SDK raised on them (`context._check_call`), and come here to word the refusal.
"""

from __future__ import annotations

from datetime import timedelta
from math import isfinite
from typing import Any, Optional
from uuid import UUID

from restate.exceptions import TerminalError
from restate.serde import DefaultSerde, Serde

__all__ = ["NO_TIME", "RUN_OPTIONS", "check_name", "if_text", "refused", "run_option_fault", "run_options_fault", "short",
           "shown"]


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shown(value: Any) -> str:
    """How a refused value is named: a function or class by its qualified name (its repr holds an
    address, new in every process), anything else by its repr, cut short."""
    if callable(value):
        name = getattr(value, "__qualname__", None)
        if isinstance(name, str):
            return name
    return short(value)


def if_text(value: Any, meant: str) -> str:
    """For a number or UUID where text is due, the other half of the fix: its `str(...)`."""
    if isinstance(value, (int, float, UUID)) and not isinstance(value, bool):
        return f" (str(...) of the {type(value).__name__}, if it is {meant})"
    return ""


def refused(call: str, what: str, value: Any, fix: str) -> TerminalError:
    """``<call>: the <what> is <type> <value>; fix: <fix>``: the style of every refusal here."""
    return TerminalError(f"{call}: the {what} is {type(value).__name__} {shown(value)}; fix: {fix}")


def check_name(helper: str, name: Any, action: Any, *, first: str = "ctx, ") -> None:
    """A run name that is no text, refused before the SDK sees it: its VM raises a plain
    TypeError there, which Restate retries forever. A `TerminalError`: no retry fixes code.

    ``first`` is what the example call writes before the name: the context, for the helpers
    that take it (``rea_runtime.run(ctx, 'fetch', fetch)``); nothing for a method of the
    context (``ctx.run('fetch', fetch)``)."""
    if isinstance(name, str) and name.strip():
        return
    label = getattr(action, "__name__", "")
    shown_action = label if label.isidentifier() else "action"
    if callable(name) and isinstance(action, str):  # run(ctx, fetch, "fetch")
        what = getattr(name, "__qualname__", None) or type(name).__name__
        raise TerminalError(f"{helper}: the run name is {type(name).__name__} {what}; fix: the name comes first: "
                            f"{helper}({first}{action!r}, {what})")
    example = f"{helper}({first}{(label if shown_action == label else 'fetch')!r}, {shown_action})"
    raise TerminalError(f"{helper}: the run name is {type(name).__name__} {short(name)}; fix: a non-empty str "
                        f"naming the run (it labels the journal entry), e.g. {example}")


RUN_OPTIONS = ("serde", "max_attempts", "max_duration", "initial_retry_interval", "max_retry_interval",
               "retry_interval_factor")
"""The fields of a `restate.RunOptions` that `ctx.run_typed` hands on and can fail on (its
`type_hint` it takes, whatever it is; its deprecated `max_retry_duration` it ignores)."""

NO_TIME = timedelta(0)
"""The least duration the SDK takes (a run's retry interval, a sleep, a send's delay)."""
_U32 = 2**32 - 1
_MS = timedelta(milliseconds=1)
_SPANS = {"max_duration": (_MS, "seconds=30"), "max_retry_duration": (_MS, "seconds=30"),
          "initial_retry_interval": (NO_TIME, "milliseconds=100"),
          "max_retry_interval": (NO_TIME, "seconds=10")}
"""The retry options that are durations: the least `strict` takes, and an example."""
_ATTEMPTS = "a whole number of attempts from 1 to 4294967295 (1: no retry), or None (the invocation's retry policy)"
_FACTOR = "a finite number >= 1 (1: the same interval each time, 2: doubling), or None"
_SERDE = "a restate.serde.Serde, e.g. restate.serde.JsonSerde(), or leave it out (JSON, or pydantic by the return type)"


def run_option_fault(field: str, value: Any, strict: bool = False) -> Optional[tuple[str, str]]:
    """A run option the SDK can never take: (the value as a message shows it, the fix); None
    for one it takes.

    Refused for certain: a ``max_attempts`` that is no whole number or does not fit 32 bits, a
    duration with no ``total_seconds()`` or of -1 ms or less, a ``retry_interval_factor`` that is
    no number (the SDK's VM takes each only once the action failed, and there one it cannot
    take leaves the invocation running for good, nothing logged), a ``serde`` with no
    ``serialize``/``deserialize`` (the action runs, then fails, on every attempt, forever) and
    ``args`` that are not iterable (`ctx.run`'s). ``strict`` (`rea_runtime.run/run_typed`):
    also what the SDK takes but does not do as it reads: a ``max_attempts`` of 0 or a bool (one
    attempt), a max duration under 1 ms (none), a factor that is not finite or under 1, and a
    duration or number of another type than timedelta, int or float."""
    if value is None:
        return ("NoneType None", _SERDE) if field == "serde" else None
    if not strict and _plain(field, value):
        return None
    if field == "max_attempts":
        index = getattr(type(value), "__index__", None)
        if (isinstance(value, bool) or not isinstance(value, int)) if strict else index is None:
            return f"{type(value).__name__} {short(value)}", _ATTEMPTS
        if not (1 if strict else 0) <= index(value) <= _U32:  # type: ignore[misc]  # (strict: an int)
            return short(value), _ATTEMPTS
    elif field in _SPANS:
        least, example = _SPANS[field]
        total = getattr(value, "total_seconds", None)
        if not isinstance(value, timedelta) if strict else not callable(total):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            return (f"{type(value).__name__} {short(value)}", f"a datetime.timedelta, e.g. {field}=timedelta("
                    f"{f'seconds={value!r}' if number else example}) (a bare number has no unit), or None")
        if value < least if strict else int(total() * 1000) < 0:  # type: ignore[misc]  # (the SDK's ms)
            shown_span = (str(value) if value >= NO_TIME else f"-{-value}") if isinstance(value, timedelta) \
                else short(value)
            at_least = "at least timedelta(milliseconds=1) (Restate counts whole milliseconds)" if strict and least \
                else "0 or more"
            return shown_span, f"{at_least}, or None"
    elif field == "retry_interval_factor":
        kind = type(value)
        if strict:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"{kind.__name__} {short(value)}", _FACTOR
            if not isfinite(value) or value < 1:
                return short(value), _FACTOR
        elif getattr(kind, "__float__", None) is None and getattr(kind, "__index__", None) is None:
            return f"{kind.__name__} {short(value)}", _FACTOR
    elif field == "serde":
        if isinstance(value, type):
            return f"type {shown(value)}", f"an instance of it, serde={shown(value)}()"
        if not isinstance(value, Serde) and not (callable(getattr(value, "serialize", None))
                                                 and callable(getattr(value, "deserialize", None))):
            return f"{type(value).__name__} {short(value)}", _SERDE
    elif field == "args":
        try:
            iter(value)
        except TypeError:
            return (f"{type(value).__name__} {short(value)}",
                    f"a tuple of the action's arguments, e.g. args=({short(value)},), or None")
    return None


_PLAIN = {"serde": DefaultSerde, "max_attempts": int, "max_duration": timedelta, "max_retry_duration": timedelta,
          "initial_retry_interval": timedelta, "max_retry_interval": timedelta, "retry_interval_factor": float,
          "args": tuple}
"""The type a run option usually has (`DefaultSerde`: the one a `RunOptions` holds unless told)."""


def _plain(field: str, value: Any) -> bool:
    """A value of the usual type, in range: fine for the SDK, known at a glance (a run whose
    options are all such pays for no more)."""
    kind = type(value)
    if kind is not _PLAIN.get(field):
        return False
    return (0 <= value <= _U32) if kind is int else (value >= NO_TIME) if kind is timedelta else True


def run_options_fault(options: Any, strict: bool = False,
                      fields: tuple[str, ...] = RUN_OPTIONS) -> Optional[tuple[str, str, str]]:
    """The first of ``fields`` of a `restate.RunOptions` (or what stands for one) that
    `run_option_fault` finds fault with: (the field, the value as shown, the fix); None if none."""
    for field in fields:
        value = getattr(options, field, None)
        if value is None:
            continue
        if not strict:  # `_plain`, inline: a RunOptions has up to six fields to look at
            kind = type(value)
            if kind is _PLAIN.get(field) and ((0 <= value <= _U32) if kind is int else (value >= NO_TIME)
                                          if kind is timedelta else True):
                continue
        fault = run_option_fault(field, value, strict)
        if fault is not None:
            return field, fault[0], fault[1]
    return None
