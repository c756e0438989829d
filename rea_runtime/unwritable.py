"""A value the SDK's serde cannot write fails for good, naming where it came from, the value and the fix.

The SDK serializes a run action's result after the action returned, and hands a failure to
do so to its VM as a *transient* failure of the run: Restate retries the run, and each retry
runs the action (its side effect: a charge, an e-mail) again and fails the same way, for good.
Seen on restate-server 1.7.12 with restate-sdk 1.3.0: `ctx.run("stamp", lambda: datetime.now())`
ran its action at every retry, the invocation `backing-off` with `TypeError('Object of type
datetime is not JSON serializable')` and no run named. A handler's own result fails the same way
after the handler returned: every retry replays the handler to fail there again.

The guarded `ctx.run` / `ctx.run_typed` hand the SDK one of its own serdes with a check around
`serialize` (`checked`), and a guarded service's handlers get their output serde so checked
(`check_output`): what that serde raises on a value is certain to recur (its `TypeError`,
`ValueError`, `AttributeError` or `RecursionError`), and becomes a `TerminalError`. A run's is
journaled as the run's result: the action ran once, and the handler gets the error at its
`await`; a handler's ends the invocation. A value handler code writes (a state value, a call's
argument, a payload) is serialized by the SDK inside the call, and its error, a library's, was
retried forever under every policy too: once the SDK raised, the guarded call asks
`check_value` whether the value is the cause. A serde of the application's own is left as it
is: rea cannot know its failures are for good. Nothing that works is serialized twice.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import inspect
import uuid
from typing import Any, Optional

from restate.exceptions import TerminalError
from restate.serde import DefaultSerde, JsonSerde, PydanticJsonSerde

from .arguments import short
from .guards import _line_at

__all__ = ["CheckedDefaultSerde", "check_output", "checked", "check_value", "refused_result"]

CERTAIN = (TypeError, ValueError, AttributeError, RecursionError)
"""What the SDK's serdes raise on a value they cannot write: the same value fails the same way."""

_JSON_LEAVES = (str, int, float, bool, type(None))
_KEYS = (str, int, float, bool, type(None))
_LOOKED_AT = 10_000
"""The most values `_culprit` looks at in a result (a huge result is named as a whole)."""


_ORIGINS = {
    # origin: what is written, by which serde, what a retry would do, the fix's verb, the serde's option
    "run": ("the action's result", "the run's serde", "run the action again", "return", "serde=..."),
    "output": ("the handler's result", "its output serde", "replay the handler", "return",
               "output_serde=... on the handler's decorator"),
    "value": ("the value", "its serde", "replay the handler", "pass", "serde=..."),
}


def refused_result(call: str, result: Any, err: BaseException, *, hint: Any = None, typed: bool = False,
                   where: str = "", origin: str = "run", subject: str = "") -> TerminalError:
    """The refusal of a value its serde cannot write: ``call`` names where it came from
    (``ctx.run('stamp', ...)``, a handler, ``ctx.set('cart', ...)``), ``origin`` which kind of
    value it is (`_ORIGINS`; ``subject`` names a ``value`` otherwise: ``the argument``), ``hint``
    the type the serde writes for (a pydantic model says the value should be one), ``typed``
    whether the run is a `run_typed` (whose type hint goes in its options)."""
    at = f" (at {where})" if where else ""
    default, serde, retry, verb, option = _ORIGINS[origin]
    subject = subject or default
    root = "result" if origin != "value" else subject.split()[-1]
    path, culprit = _culprit(result)
    if path:
        what = f"{subject} ({type(result).__name__}) holds {type(culprit).__name__} {_shown(culprit)} at {root}{path}"
    else:
        what = f"{subject} is {type(result).__name__} {_shown(result)}"
    fix = _fix(culprit, nested=bool(path), hint=hint, typed=typed, err=err, origin=origin, verb=verb, option=option)
    return TerminalError(f"{call}{at}: {what}, which {serde} cannot write ({type(err).__name__}: {err}); not "
                         f"retried: every retry would {retry} and fail the same way; fix: {fix}")


def check_value(call: str, subject: str, value: Any, serde: Any, where: str, err: BaseException,
                typed_by_value: bool = True) -> None:
    """Once the SDK raised ``err`` on a call that serializes ``value`` (a state value, a call's
    argument, an awakeable's, signal's or promise's payload): raise the refusal if ``serde`` cannot
    write it as the SDK writes it (``typed_by_value``: its default serde typed by the value's type,
    as for state, awakeables and signals). Returns when it can, or when the serde is the
    application's own: the SDK's error then stands."""
    kind = type(serde)
    if kind is DefaultSerde and typed_by_value:
        serde = DefaultSerde(type(value))
    elif kind not in (DefaultSerde, JsonSerde, PydanticJsonSerde):
        return
    try:
        serde.serialize(value)
    except CERTAIN as own:
        hint = getattr(serde, "type_hint", None) or getattr(serde, "model", None)
        raise refused_result(call, value, own, hint=hint, where=where, origin="value", subject=subject) from err


def _shown(value: Any) -> str:
    """`short(value)`, or its type alone when its repr fails (a value nested too deep, or a
    `__repr__` of the application's that raises): the refusal must not fail in turn."""
    try:
        return short(value)
    except Exception:  # noqa: BLE001 - any repr failure
        return f"<a {type(value).__name__}>"


def _fix(value: Any, *, nested: bool, hint: Any, typed: bool, err: BaseException, origin: str, verb: str,
         option: str) -> str:
    model = _model_name(hint)
    if model is not None and isinstance(err, AttributeError) and not nested:
        written = {"output": "the handler's return annotation", "run": "its type hint or the action's return annotation",
                   "value": "its serde's type"}[origin]
        return f"{verb} an instance of {model} (the type it is written as: {written}), or correct that type"
    if inspect.isawaitable(value) and not nested:
        return {"run": "the action returned an awaitable that nothing awaits: hand the run the async function itself "
                       "(ctx.run('name', fetch, args=(...)), not lambda: fetch(...)), or await it in an `async def` action",
                "output": "await it: the handler returned an awaitable (an `await` is missing)",
                "value": "await it first: the value is an awaitable (an `await` is missing)"}[origin]
    if isinstance(err, ValueError) and "ircular" in str(err):
        return "a value without reference cycles (a container that holds itself)"
    cls = type(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return f"{verb} text: its .isoformat() (and {cls.__name__}.fromisoformat(...) where it is read)"
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return f"{verb} text: str(...) of the {cls.__name__}"
    if isinstance(value, (set, frozenset)):
        return f"{verb} a list: sorted(...) of the {cls.__name__}"
    if isinstance(value, (bytes, bytearray)):
        also = "" if nested else {"output": ", or output_serde=restate.serde.BytesSerde() on the handler's decorator",
                                  "run": ", or serde=restate.serde.BytesSerde() to journal the bytes as they are",
                                  "value": ""}[origin]
        return f"{verb} text: .decode() of the bytes (base64 for binary data){also}"
    if isinstance(value, enum.Enum):
        return f"{verb} the member's .value (or make the enum a str/int Enum)"
    if _model_name(cls) is not None:
        if nested or origin == "value":
            return f"{verb} JSON data: .model_dump(mode='json') of {'each model' if nested else 'it'}"
        if origin == "output":
            return (f"annotate the handler's return type `-> {cls.__name__}`, so the SDK writes it as a model, or "
                    f"return .model_dump(mode='json')")
        where = f"restate.RunOptions(type_hint={cls.__name__})" if typed else f"type_hint={cls.__name__}"
        return (f"{where} (or annotate the action `-> {cls.__name__}`), so the SDK writes it as a model, or return "
                f".model_dump(mode='json')")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return f"{verb} JSON data: dataclasses.asdict(...) of it"
    if isinstance(value, dict) and _bad_key(value) is not None:
        return "a dict whose keys are str, int, float, bool or None"
    return (f"{verb} JSON data (dict, list, str, int, float, bool or None, all the way down), or a serde that writes "
            f"this type ({option})")


def _model_name(tpe: Any) -> Optional[str]:
    """The class name if ``tpe`` is a pydantic model class."""
    if not isinstance(tpe, type):
        return None
    for base in tpe.__mro__:
        if base.__name__ == "BaseModel" and base.__module__.startswith("pydantic"):
            return tpe.__name__
    return None


def _bad_key(value: dict) -> Any:
    for key in value:
        if not isinstance(key, _KEYS):
            return key
    return None


def _culprit(result: Any) -> tuple[str, Any]:
    """Where, inside a dict/list/tuple result, the first value JSON cannot write is
    (``("['items'][2]", value)``), or ``("", result)`` when it is the result itself or unknown."""
    if not isinstance(result, (dict, list, tuple)):
        return "", result
    stack: list[tuple[str, Any]] = [("", result)]
    seen: set[int] = set()
    budget = _LOOKED_AT
    while stack and budget > 0:
        path, value = stack.pop()
        budget -= 1
        if isinstance(value, _JSON_LEAVES):
            continue
        if not isinstance(value, (dict, list, tuple)):
            return path, value
        if id(value) in seen:
            continue  # met before (shared, or a cycle: the serde's error says so, `_fix` reads it)
        seen.add(id(value))
        if isinstance(value, dict):
            if _bad_key(value) is not None:
                return path, value
            children = [(f"{path}[{k!r}]", v) for k, v in value.items()]
        else:
            children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        stack.extend(reversed(children))
    return "", result


Site = tuple[str, str, Any, Any, int]
"""Where a checked serde writes: a run's call (the context's name, the method, the run's name,
the caller's code object and instruction offset), or a handler's result (its service, ``"output"``,
its name, its function's code object, 0). Made into text and a line only if the check fails."""


class _Checked:
    """The check around one of the SDK's serdes (`Site`): first in the bases of a subclass of
    that serde, so `super()` is the serde's own `serialize`."""

    site: Site

    def serialize(self, obj: Any) -> bytes:
        try:
            return super().serialize(obj)  # type: ignore[misc]
        except CERTAIN as err:
            hint = getattr(self, "type_hint", None) or getattr(self, "model", None)
            refusal = self._refusal(obj, err, hint)
            if inspect.iscoroutine(obj):
                obj.close()  # (refused: it never runs, and Python need not add "never awaited" on top)
            raise refusal from err

    def _refusal(self, result: Any, err: BaseException, hint: Any) -> TerminalError:
        owner, method, name, code, offset = self.site
        if method == "output":
            where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else ""
            return refused_result(f"handler {owner}.{name}", result, err, hint=hint, where=where, origin="output")
        where = f"{code.co_filename}:{_line_at(code, offset)}" if code is not None else ""
        return refused_result(f"{owner}.{method}({name!r}, ...)", result, err, hint=hint,
                              typed=method == "run_typed", where=where)


class CheckedDefaultSerde(_Checked, DefaultSerde[Any]):
    """The SDK's default serde (which the SDK types by the action's return annotation through
    `with_maybe_type`), checked."""

    def __init__(self, type_hint: Any, site: Site) -> None:
        self.type_hint = type_hint
        self.site = site

    def with_maybe_type(self, type_hint: Any = None) -> "CheckedDefaultSerde":
        return CheckedDefaultSerde(type_hint, self.site)


class CheckedJsonSerde(_Checked, JsonSerde[Any]):
    def __init__(self, site: Site) -> None:
        self.site = site


class CheckedPydanticJsonSerde(_Checked, PydanticJsonSerde[Any]):
    def __init__(self, model: Any, site: Site) -> None:
        self.model = model
        self.site = site


def checked(serde: Any, site: Site) -> Any:
    """``serde`` with the check, if it is one of the SDK's own (exactly: a subclass may write what
    its base cannot); else ``serde`` itself."""
    kind = type(serde)
    if kind is DefaultSerde:
        return CheckedDefaultSerde(serde.type_hint, site)
    if kind is JsonSerde:
        return CheckedJsonSerde(site)
    if kind is PydanticJsonSerde:
        return CheckedPydanticJsonSerde(serde.model, site)
    return serde


def check_output(service: str, handler: Any) -> None:
    """Check the output serde of a registered handler (the SDK's `Handler`), if it is one of the
    SDK's own: once, at registration; a handler's call pays nothing for it."""
    io = handler.handler_io
    fn = inspect.unwrap(handler.fn)
    io.output_serde = checked(io.output_serde, (service, "output", handler.name, getattr(fn, "__code__", None), 0))
