"""Journaled concurrency: fan-out/fan-in, a bounded map and a first-success race.

`asyncio.gather/wait/Semaphore` decide order from the event loop, which differs between an
attempt and its replay; `restate.gather/wait_completed` decide it from the journal, so a
crash mid-fan-out replays the finished calls and waits only for the rest. Every helper here
takes durable futures (`ctx.service_call(...)`, `ctx.run_typed(...)`, `ctx.sleep(...)`) or
factories of them, never coroutines or tasks.
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, Iterable, Literal, Sequence, TypeVar, overload

import restate
from restate import TerminalError

__all__ = ["fan_out", "map_limited", "first_success", "AllFailed"]

T = TypeVar("T")
U = TypeVar("U")


class AllFailed(TerminalError):
    """Every contender of `first_success` failed.

    ``errors[i]`` is the terminal error of the i-th contender as given (not in the order they
    failed), so a caller can tell which alternative failed how.
    """

    def __init__(self, errors: Sequence[TerminalError]) -> None:
        detail = "; ".join(f"#{i}: {e.message}" for i, e in enumerate(errors))
        super().__init__(f"every contender failed: {detail}", status_code=500)
        self.errors = list(errors)


def require_durable(obj: Any, message: Callable[[], str]) -> None:
    """Refuse anything but a journaled future with ``message()``; a refused coroutine is closed,
    so Python adds no "never awaited" warning on top of the error."""
    if not isinstance(obj, restate.RestateDurableFuture):
        if inspect.iscoroutine(obj):
            obj.close()
        raise TerminalError(message())


def _check(futures: Sequence[Any], helper: str) -> None:
    for f in futures:
        require_durable(f, lambda: (
            f"rea_runtime.{helper} got a {type(f).__name__}, not a durable future: pass what "
            f"ctx.service_call/object_call/run_typed/sleep return (asyncio tasks are not journaled)"
        ))


async def _cancel_calls(futures: Iterable[Any]) -> int:
    """Cancel the calls among ``futures`` that have not completed (runs and sleeps cannot be);
    returns how many were cancelled."""
    n = 0
    for f in futures:
        if not f.is_completed() and hasattr(f, "cancel_invocation"):
            await f.cancel_invocation()
            n += 1
    return n


@overload
async def fan_out(futures: Iterable[Awaitable[T]], *, return_exceptions: Literal[False] = ...,
                  fail_fast: bool = ...) -> list[T]: ...


@overload
async def fan_out(futures: Iterable[Awaitable[T]], *, return_exceptions: bool,
                  fail_fast: bool = ...) -> list[T | TerminalError]: ...


async def fan_out(futures: Iterable[Awaitable[T]], *, return_exceptions: bool = False,
                  fail_fast: bool = False) -> list[Any]:
    """Wait for all durable futures (on `restate.gather`); results in the order given.

    Once all have finished, the first terminal error in the order given (not in time) is
    raised; with ``return_exceptions=True`` each error takes its future's place instead.
    ``fail_fast=True``: the first terminal error *in time* (as the journal records it) is
    raised at once, and the calls still running are cancelled (the Go `FanOutFail`).
    """
    futs = list(futures)
    _check(futs, "fan_out")
    if fail_fast:
        if return_exceptions:
            raise TerminalError("rea_runtime.fan_out: fail_fast=True and return_exceptions=True exclude each other")
        async for f in restate.as_completed(*futs):  # type: ignore[arg-type]
            try:
                await f
            except TerminalError:
                await _cancel_calls(futs)
                raise
        return [await f for f in futs]
    await restate.gather(*futs)  # type: ignore[arg-type]
    results: list[Any] = []
    for f in futs:
        try:
            results.append(await f)
        except TerminalError as err:
            if not return_exceptions:
                raise
            results.append(err)
    return results


async def map_limited(
    items: Iterable[U], start: Callable[[U], Awaitable[T]], *, limit: int
) -> list[T]:
    """``start(item)`` for every item with at most ``limit`` in flight; results in item order.

    ``start`` must return a durable future (e.g. ``lambda o: ctx.service_call(ship, o)``). A
    slot frees when any in-flight future completes (`restate.wait_completed`, journaled).
    The first terminal error cancels the calls in flight, starts no more, and is raised.
    """
    if limit < 1:
        raise TerminalError(f"rea_runtime.map_limited: limit must be >= 1, got {limit}")
    pending = list(items)
    results: dict[int, Any] = {}
    in_flight: dict[Any, int] = {}
    nxt = 0
    while nxt < len(pending) or in_flight:
        while nxt < len(pending) and len(in_flight) < limit:
            fut = start(pending[nxt])
            _check([fut], "map_limited")
            in_flight[fut] = nxt
            nxt += 1
        done, _ = await restate.wait_completed(*in_flight)
        for f in done:
            i = in_flight.pop(f)
            try:
                results[i] = await f
            except TerminalError:
                await _cancel_calls(in_flight)
                raise
    return [results[i] for i in range(len(pending))]


async def first_success(*futures: Awaitable[T], cancel_losers: bool = True) -> T:
    """The first contender to succeed wins; failures are skipped; all failing raises `AllFailed`
    (its ``errors`` in the order the contenders were given).

    Losers that are calls are cancelled (``cancel_losers``), so they do not keep running.
    """
    futs = list(futures)
    if not futs:
        raise TerminalError(
            "rea_runtime.first_success needs at least one contender: pass the durable futures to race, "
            "e.g. first_success(ctx.service_call(primary, x), ctx.service_call(fallback, x))"
        )
    _check(futs, "first_success")
    errors: dict[int, TerminalError] = {}
    async for f in restate.as_completed(*futs):  # type: ignore[arg-type]
        try:
            value = await f
        except TerminalError as err:
            errors[next(i for i, g in enumerate(futs) if g is f)] = err
            continue
        if cancel_losers:
            for other in futs:
                if other is not f and not other.is_completed() and hasattr(other, "cancel_invocation"):  # type: ignore[attr-defined]
                    await other.cancel_invocation()
        return value
    raise AllFailed([errors[i] for i in sorted(errors)])
