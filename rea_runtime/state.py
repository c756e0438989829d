"""`State[T]`: one typed, validated state entry of a Virtual Object or Workflow.

Reads work from every object/workflow context; writes take only exclusive contexts
(`ObjectContext`, `WorkflowContext`), so writing from a shared handler is a type error, and a
runtime guard (REA202) for code that type checkers do not see.
"""

from __future__ import annotations

import copy
import sys
from typing import Any, Generic, Optional, TypeVar, Union, overload

from restate import ObjectContext, ObjectSharedContext
from restate.serde import Serde

from .context import GuardedContext
from .guards import CURRENT, report
from .policy import current_policy
from .serde import TypeAdapterSerde

T = TypeVar("T")

__all__ = ["State"]

ReadContext = Union[ObjectContext, ObjectSharedContext]
"""Any context that may read state (WorkflowContext/WorkflowSharedContext are subclasses)."""


def _kind(ctx: Any) -> str | None:
    if isinstance(ctx, GuardedContext):
        return ctx._inv.kind
    return getattr(getattr(ctx, "handler", None), "kind", None)


class _Raw(Serde[bytes]):
    """Bytes already serialized by `State.set` (measured once, not serialized twice)."""

    def serialize(self, obj: Optional[bytes]) -> bytes:
        return obj or b""

    def deserialize(self, buf: bytes) -> Optional[bytes]:
        return buf


_RAW = _Raw()


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
        """Write; only exclusive contexts type-check (`ObjectSharedContext` has no `set`)."""
        if self._writable(ctx, "set"):
            raw = self.serde.serialize(value)
            self._measure(ctx, len(raw))
            ctx.set(self.name, raw, serde=_RAW)

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
