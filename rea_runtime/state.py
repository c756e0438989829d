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
from typing import Any, Generic, Iterator, Optional, TypeVar, Union, overload

import structlog
from pydantic import ValidationError
from restate import ObjectContext, ObjectSharedContext, TerminalError

from .context import GuardedContext
from .guards import CURRENT, report
from .policy import current_policy
from .serde import TypeAdapterSerde
from .state_budget import RAW

T = TypeVar("T")

__all__ = ["State", "StateValueError"]

_log = structlog.get_logger("rea_runtime.state")
_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


class StateValueError(TerminalError):
    """Under ``strict``, a `State.set` of a value that does not fit the entry's type (or is NaN/inf)."""


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
        self.name = name
        self.serde: TypeAdapterSerde[T] = TypeAdapterSerde(tp)
        self.default = default
        self.budget_bytes = budget_bytes
        """Serialized bytes above which a write is reported (None: the service preset's budget)."""

    async def get(self, ctx: ReadContext) -> Optional[T]:
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
        try:
            data = adapter.dump_python(value, warnings=False)
        except Exception as err:  # noqa: BLE001 - any serializer failure is the value's problem
            return f"cannot be serialized: {err}"
        for loc, number in _non_finite(data):
            return (f"field {_where(loc)} is {number!r}: JSON has no NaN or infinity (it would be stored "
                    f"as null and read back as None)")
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
