"""A guarded invocation's objects are freed by reference counting when it ends, on a real
restate-server: with the cyclic collector off, the guards' per-attempt state and the SDK's
context of every finished invocation are gone. Kept in a cycle, each invocation's whole SDK
graph waits for the collector, which then runs twice as often as in an unguarded app."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from typing import Any

import pytest
import restate

import rea_runtime
from rea_runtime import guards

REFS: list[tuple[Any, Any]] = []
"""(guards' Invocation, SDK context) of each attempt, weakly."""

counter = rea_runtime.VirtualObject("ReleaseCounter", policy="warn")


def _double(n: int) -> int:
    return n * 2


@counter.handler()
async def add(ctx: restate.ObjectContext, n: int) -> int:  # state read, a run, state write: the SDK's tasks
    REFS.append((weakref.ref(guards.CURRENT.get()), weakref.ref(ctx.unwrap())))  # type: ignore[attr-defined]
    count = await ctx.get("count", type_hint=int) or 0
    doubled = await ctx.run_typed("double", _double, n=n)
    ctx.set("count", count + doubled)
    return count + doubled


@pytest.fixture(scope="module")
def restate_app():
    return restate.app([counter])


INVOCATIONS = 5


def test_finished_invocations_are_freed_without_the_cyclic_collector(restate_env) -> None:
    REFS.clear()
    gc.collect()
    gc.disable()
    try:
        key = restate_env.unique("release")

        async def drive() -> list[int]:
            return [(await restate_env.call("ReleaseCounter", "add", 1, key=key)).json() for _ in range(INVOCATIONS)]

        results = asyncio.run(drive())
        assert results == [2, 4, 6, 8, 10]
        assert len(REFS) == INVOCATIONS
        deadline = time.monotonic() + 10  # the app thread may still be closing the last stream
        alive = REFS
        while time.monotonic() < deadline:
            alive = [(inv, ctx) for inv, ctx in REFS if inv() is not None or ctx() is not None]
            if not alive:
                break
            time.sleep(0.05)
        assert not alive, f"{len(alive)} of {INVOCATIONS} finished invocations still held (in a reference cycle)"
    finally:
        gc.enable()
