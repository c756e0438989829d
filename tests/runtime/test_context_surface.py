"""Every entry point of the SDK's context interfaces is defined by the guarded context itself,
so none reaches the SDK through `__getattr__` unchecked (a new SDK method fails this test)."""

from __future__ import annotations

import restate
from restate.context import DurablePromise, ScopedContext

from rea_runtime.context import GuardedContext, GuardedPromise, GuardedScope


def _public(cls: type) -> set[str]:
    return {n for c in cls.__mro__ if c is not object for n in vars(c) if not n.startswith("_")}


def _defined(cls: type) -> set[str]:
    return {n for c in cls.__mro__ if c is not object for n in vars(c)}


def test_every_sdk_context_entry_point_is_guarded_explicitly():
    interfaces = [restate.Context, restate.ObjectContext, restate.ObjectSharedContext, restate.WorkflowContext,
                  restate.WorkflowSharedContext]
    sdk = set().union(*(_public(i) for i in interfaces))
    assert len(sdk) >= 30, sorted(sdk)  # the interfaces were read
    assert sorted(sdk - _defined(GuardedContext)) == []
    assert sorted(_public(ScopedContext) - _defined(GuardedScope)) == []
    assert sorted(_public(DurablePromise) - _defined(GuardedPromise)) == []
