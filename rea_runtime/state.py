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

from .context import GuardedContext
from .guards import CURRENT, report
from .serde import TypeAdapterSerde

T = TypeVar("T")

__all__ = ["State"]

ReadContext = Union[ObjectContext, ObjectSharedContext]
"""Any context that may read state (WorkflowContext/WorkflowSharedContext are subclasses)."""


def _kind(ctx: Any) -> str | None:
    if isinstance(ctx, GuardedContext):
        return ctx._inv.kind
    return getattr(getattr(ctx, "handler", None), "kind", None)


class State(Generic[T]):
    """``CART = State("cart", list[Item], default=[])``; ``await CART.get(ctx)``; ``CART.set(ctx, v)``."""

    @overload
    def __init__(self: "State[T]", name: str, tp: type[T], default: Optional[T] = None) -> None: ...

    @overload
    def __init__(self: "State[Any]", name: str, tp: Any, default: Any = None) -> None: ...

    def __init__(self, name: str, tp: Any, default: Any = None) -> None:
        self.name = name
        self.serde: TypeAdapterSerde[T] = TypeAdapterSerde(tp)
        self.default = default

    async def get(self, ctx: ReadContext) -> Optional[T]:
        value = await ctx.get(self.name, serde=self.serde)
        # A fresh copy: a shared mutable default mutated by one attempt would leak into replays.
        return copy.deepcopy(self.default) if value is None else value

    def _writable(self, ctx: Any, op: str) -> bool:
        if isinstance(ctx, GuardedContext):
            return True  # the guarded context applies REA202 itself
        if _kind(ctx) == "shared":
            inv = CURRENT.get()
            report(inv, "REA202", f"State({self.name!r}).{op}(...)", sys._getframe(2))
            return inv is not None and inv.policy_for("REA202") == "disabled"
        return True

    def set(self, ctx: ObjectContext, value: T) -> None:
        """Write; only exclusive contexts type-check (`ObjectSharedContext` has no `set`)."""
        if self._writable(ctx, "set"):
            ctx.set(self.name, value, serde=self.serde)

    def clear(self, ctx: ObjectContext) -> None:
        if self._writable(ctx, "clear"):
            ctx.clear(self.name)
