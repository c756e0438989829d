"""`State[T]`: one typed, validated state entry of a Virtual Object or Workflow.

Reads work from every object/workflow context; writes take only exclusive contexts
(`ObjectContext`, `WorkflowContext`), so writing from a shared handler is a type error, and a
runtime guard (REA202) for code that type checkers do not see.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import threading
from typing import Any, Generic, Iterator, Optional, TypeVar, Union, get_origin, overload

import structlog
from pydantic import PydanticSchemaGenerationError, PydanticUserError, ValidationError
from restate import ObjectContext, ObjectSharedContext, TerminalError

from .context import GuardedContext
from .guards import CURRENT, report
from .policy import current_policy
from .presets import ConfigurationError
from .serde import TypeAdapterSerde
from .state_budget import RAW

T = TypeVar("T")

__all__ = ["State", "StateValueError", "StateConfigError"]

_log = structlog.get_logger("rea_runtime.state")
_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


class StateValueError(TerminalError):
    """Under ``strict``, a `State.set` of a value that does not fit the entry's type (or is NaN/inf)."""


class StateConfigError(ConfigurationError, TerminalError):
    """`State(...)` given a name, type, default or budget it cannot work with; the message says
    which and the fix. A `ConfigurationError` (at import, where entries are usually declared) and
    a `TerminalError`: one declared inside a handler fails the invocation, never retried."""

    def __init__(self, message: str) -> None:
        TerminalError.__init__(self, message)


def _where(loc: tuple) -> str:
    return "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in loc) or "(the value itself)"


def _non_finite(data: Any, loc: tuple = ()) -> Iterator[tuple[tuple, float]]:
    """Paths of NaN/infinite floats in dumped data (`dump_python()`: models become dicts, floats stay)."""
    if isinstance(data, float) and not math.isfinite(data):
        yield loc, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _non_finite(v, (*loc, k))
    elif isinstance(data, (list, tuple, set, frozenset)):
        for i, v in enumerate(data):
            yield from _non_finite(v, (*loc, i))


ReadContext = Union[ObjectContext, ObjectSharedContext]
"""Any context that may read state (WorkflowContext/WorkflowSharedContext are subclasses)."""


def _kind(ctx: Any) -> str | None:
    if isinstance(ctx, GuardedContext):
        return ctx._inv.kind
    return getattr(getattr(ctx, "handler", None), "kind", None)


def _put(data: Any, loc: tuple, value: float) -> Any:
    """``data`` with the item at path ``loc`` replaced by ``value`` (in place where possible)."""
    if not loc:
        return value
    data[loc[0]] = _put(data[loc[0]], loc[1:], value)
    return data


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


_RAW = RAW
"""Bytes already serialized by `State.set` (measured once, not serialized twice)."""


class State(Generic[T]):
    """``CART = State("cart", list[Item], default=[])``; ``await CART.get(ctx)``; ``CART.set(ctx, v)``."""

    @overload
    def __init__(self: "State[T]", name: str, tp: type[T], default: Optional[T] = None,
                 budget_bytes: Optional[int] = None) -> None: ...

    @overload
    def __init__(self: "State[Any]", name: str, tp: Any, default: Any = None,
                 budget_bytes: Optional[int] = None) -> None: ...

    def __init__(self, name: str, tp: Any, default: Any = None, budget_bytes: Optional[int] = None) -> None:
        # All checked here: a bad value met at a write fails every write with an error Restate
        # retries forever (budget_bytes="1k"), or is never seen at all (a default `get` returns).
        if not isinstance(name, str) or not name:
            raise StateConfigError(f"State({name!r}, ...): the name is {type(name).__name__} {name!r}; fix: a "
                                   f"non-empty str (the state key the entry is stored under)")
        self.name = name
        self.serde: TypeAdapterSerde[T] = self._serde(tp)
        if budget_bytes is not None and (not isinstance(budget_bytes, int) or isinstance(budget_bytes, bool)
                                         or budget_bytes < 1):
            raise StateConfigError(f"State({name!r}): budget_bytes is {type(budget_bytes).__name__} "
                                   f"{budget_bytes!r}; fix: a whole number of bytes, 1 or more (e.g. 64 * 1024), "
                                   f"or None (the service preset's state_budget_bytes)")
        self._pending = default is not None and not self.serde.adapter.pydantic_complete
        """A default not yet converted: its type has a forward reference (converted at the first `get`)."""
        self.default = default if default is None or self._pending else self._converted(default)
        self.budget_bytes = budget_bytes
        """Serialized bytes above which a write is reported (None: the service preset's budget)."""

    def _serde(self, tp: Any) -> TypeAdapterSerde[T]:
        """The entry's serde, or why ``tp`` is no type pydantic can validate.

        A model class with a forward reference may be completed later (`model_rebuild`); any
        other unresolved name is looked up here, in rea_runtime, where it never appears."""
        try:
            serde: TypeAdapterSerde[T] = TypeAdapterSerde(tp)
            if not serde.adapter.pydantic_complete and not (isinstance(tp, type) and get_origin(tp) is None):
                serde.adapter.rebuild(raise_errors=True)
        except (PydanticUserError, PydanticSchemaGenerationError, TypeError, NameError) as err:
            reason = str(err).splitlines()[0].split(". ")[0]
            raise StateConfigError(
                f"State({self.name!r}): the type {tp!r} cannot be used ({reason}); fix: pass the type itself "
                f"(a class, a pydantic model, or an annotation such as list[Item]), not its name or a value"
            ) from None
        return serde

    def _converted(self, default: Any) -> T:
        """The default as the entry's type, or `StateConfigError`: `get` promises a `T`, so a dict
        given for a model becomes the model here, once, instead of reaching handlers raw."""
        try:
            problem = self._type_problem(default)
            if problem is None:
                return self.serde.adapter.validate_python(default, strict=True)
        except PydanticUserError:  # still a forward reference nobody resolved
            model = getattr(self.serde.tp, "__name__", "Model")
            raise StateConfigError(f"State({self.name!r}): the type {self.serde.tp!r} is not fully defined (it "
                                   f"refers to a name pydantic cannot resolve); fix: define the models it refers "
                                   f"to, then call {model}.model_rebuild() at import") from None
        except Exception as err:  # noqa: BLE001 - a default the type cannot even dump
            problem = f"cannot be serialized: {err}"
        raise StateConfigError(f"State({self.name!r}): the default {_short(default)} does not fit: {problem}; "
                               f"fix: a default of the entry's type (what `get` returns while nothing is "
                               f"stored), or None")

    async def get(self, ctx: ReadContext) -> Optional[T]:
        if self._pending:
            self.default, self._pending = self._converted(self.default), False
        value = await ctx.get(self.name, serde=self.serde)
        # A fresh copy: a shared mutable default mutated by one attempt would leak into replays.
        return copy.deepcopy(self.default) if value is None else value

    def _writable(self, ctx: Any, op: str) -> bool:
        if isinstance(ctx, GuardedContext):
            return True  # the guarded context applies REA202 itself
        if _kind(ctx) == "shared":
            # strict raises here; warn logs and the write goes on (the SDK's behaviour, not a drop).
            report(CURRENT.get(), "REA202", f"State({self.name!r}).{op}(...)", sys._getframe(2))
        return True

    def set(self, ctx: ObjectContext, value: T) -> None:
        """Write; only exclusive contexts type-check (`ObjectSharedContext` has no `set`).

        The value is validated against the entry's type first. A wrong type or a NaN/infinite
        float is a :class:`StateValueError` naming the entry and the field under ``strict``;
        under ``warn`` it is logged once and written as the SDK would write it (NaN stays NaN,
        never ``null``); under ``disabled`` it is written unchecked.
        """
        if self._writable(ctx, "set"):
            raw = self._serialize(ctx, value)
            self._measure(ctx, len(raw))
            ctx.set(self.name, raw, serde=_RAW)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit this entry (None if it does)."""
        problem = self._type_problem(value)
        if problem is not None:
            return problem
        try:
            data = self.serde.adapter.dump_python(value, warnings=False)
        except Exception as err:  # noqa: BLE001 - any serializer failure is the value's problem
            return f"cannot be serialized: {err}"
        for loc, number in _non_finite(data):
            return (f"field {_where(loc)} is {number!r}: JSON has no NaN or infinity (it would be stored "
                    f"as null and read back as None)")
        return None

    def _type_problem(self, value: Any) -> str | None:
        """Why ``value`` is not of the entry's type (a default is checked for this alone: it is
        returned, not stored, so a NaN default is the caller's to keep)."""
        adapter = self.serde.adapter
        try:
            adapter.validate_python(value, strict=True)
            # Instances are not revalidated (`model_construct`, mutated after validation): their dump is.
            adapter.validate_python(adapter.dump_python(value, warnings=False))
        except ValidationError as err:
            first = err.errors()[0]
            more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
            return (f"field {_where(tuple(first['loc']))}: {first['msg']}, got {type(first['input']).__name__} "
                    f"{_short(first['input'])}{more}; the entry's type is {self.serde.tp!r}")
        return None

    def _serialize(self, ctx: Any, value: Any) -> bytes:
        level = self._level(ctx)
        problem = None if level == "disabled" else self.problem(value)
        if problem is not None:
            message = f"State({self.name!r}).set(...) in {self._service(ctx)}: {problem}"
            if level == "strict":
                raise StateValueError(message, status_code=500)
            with _warned_lock:
                first = (self._service(ctx), self.name) not in _warned
                _warned.add((self._service(ctx), self.name))
            if first:
                _log.warning(message + " (written as the SDK would; policy warn, logged once per entry)",
                             state=self.name)
        adapter = self.serde.adapter
        try:
            non_finite = list(_non_finite(adapter.dump_python(value, warnings=False)))
            if not non_finite:
                return adapter.dump_json(value, warnings=False)
            # pydantic writes NaN/inf as null; the SDK's JSON (json.dumps) keeps them, and so do we.
            data = adapter.dump_python(value, mode="json", warnings=False)
            for loc, number in non_finite:
                data = _put(data, loc, number)
            return json.dumps(data, allow_nan=True, separators=(",", ":")).encode()
        except Exception:  # noqa: BLE001 - let the SDK's own serializer fail the way it does
            return self.serde.serialize(value)

    @staticmethod
    def _service(ctx: Any) -> str:
        sdk_ctx = ctx.unwrap() if isinstance(ctx, GuardedContext) else ctx
        return str(getattr(getattr(getattr(sdk_ctx, "handler", None), "service_tag", None), "name", "?"))

    @staticmethod
    def _level(ctx: Any) -> str:
        inv = ctx._inv if isinstance(ctx, GuardedContext) else CURRENT.get()
        return (inv.policy or current_policy()).default if inv is not None else current_policy().default

    def _measure(self, ctx: Any, size: int) -> None:
        from .state_budget import budget_for, measure

        sdk_ctx = ctx.unwrap() if isinstance(ctx, GuardedContext) else ctx
        service = getattr(getattr(getattr(sdk_ctx, "handler", None), "service_tag", None), "name", "?")
        inv = ctx._inv if isinstance(ctx, GuardedContext) else CURRENT.get()
        level = (inv.policy or current_policy()).default if inv is not None else None
        measure(service, self.name, size, budget_for(service, self.budget_bytes), level)

    def clear(self, ctx: ObjectContext) -> None:
        if self._writable(ctx, "clear"):
            ctx.clear(self.name)
