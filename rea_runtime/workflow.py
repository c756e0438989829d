"""Workflow helpers: durable deadlines, timeouts on `restate.select`, a status record, bounded
loops and a human-approval step.

Each is a few lines on the SDK's primitives, written once so handlers do not reinvent them
with `asyncio.wait_for` (not journaled) or unbounded `while True` polling loops.
"""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import Any, Awaitable, Callable, Iterator, Optional, TypeVar

import restate
from pydantic import BaseModel
from restate import TerminalError

from .concurrency import require_durable
from .run import run
from .state import State

__all__ = [
    "TimedOut",
    "with_timeout",
    "Deadline",
    "Status",
    "StatusRecord",
    "bounded",
    "LoopLimitExceeded",
    "Approval",
    "request_approval",
    "approval_payload",
    "race_promise",
]

T = TypeVar("T")


class TimedOut(TerminalError):
    """A durable wait lost its race against the timer (HTTP 408)."""

    def __init__(self, what: str, timeout: timedelta) -> None:
        super().__init__(f"{what} did not complete within {timeout}", status_code=408)
        self.what = what
        self.timeout = timeout


async def with_timeout(ctx: Any, future: Awaitable[T], timeout: timedelta, *, what: str = "the wait") -> T:
    """Race a durable future (promise value, awakeable, call) against ``ctx.sleep(timeout)``."""
    return await _race(ctx, future, timeout, what, timeout)


async def _race(ctx: Any, future: Awaitable[T], wait: timedelta, what: str, limit: timedelta) -> T:
    """Wait at most ``wait``; `TimedOut` names ``limit`` (a `Deadline`'s whole span)."""
    if hasattr(future, "value") and not isinstance(future, restate.RestateDurableFuture):
        future = future.value()  # a (guarded) DurablePromise: race its value
    require_durable(future, lambda: (
        f"with_timeout({what}): got a {type(future).__name__}; pass a durable future such as "
        f"ctx.promise(name).value(), an awakeable's future or a call (asyncio.wait_for is not journaled)"
    ))
    match await restate.select(result=future, timeout=ctx.sleep(wait)):  # type: ignore[arg-type]  # (durable: required above)
        case ["result", value]:
            return value
        case _:
            raise TimedOut(what, limit)


class Deadline:
    """A journaled point in time: ``d = await Deadline.after(ctx, timedelta(hours=1))``.

    ``d.remaining(ctx)`` bounds each later wait, so a multi-step workflow keeps one overall limit
    across replays and restarts (the start time is read once, through `ctx.time()`).
    ``d.at`` (epoch seconds) is plain data: pass it on and rebuild with ``Deadline(at)``.
    """

    def __init__(self, at: float, delay: Optional[timedelta] = None) -> None:
        self.at = at
        self.delay = delay
        """The whole span (set by `after`), named when a wait runs out of it."""

    def __repr__(self) -> str:
        return f"Deadline(at={self.at!r})"

    @classmethod
    async def after(cls, ctx: Any, delay: timedelta) -> "Deadline":
        return cls(await ctx.time() + delay.total_seconds(), delay)

    async def remaining(self, ctx: Any) -> timedelta:
        return timedelta(seconds=max(0.0, self.at - await ctx.time()))

    async def wait(self, ctx: Any, future: Awaitable[T], *, what: str = "the wait") -> T:
        """`with_timeout` with whatever time is left; `TimedOut` names the deadline's whole span."""
        remaining = await self.remaining(ctx)
        return await _race(ctx, future, remaining, what, self.delay if self.delay is not None else remaining)

    async def sleep(self, ctx: Any) -> None:
        """A durable timer until the deadline."""
        await ctx.sleep(await self.remaining(ctx))


class StatusRecord(BaseModel):
    """What a workflow is doing now, for a shared handler to report."""

    phase: str = "pending"
    detail: dict[str, Any] = {}
    updates: int = 0


class Status:
    """``STATUS = Status()``; ``STATUS.update(ctx, "charging", order=o)`` in main, ``await STATUS.read(ctx)``
    in a shared handler (which cannot write it: State's REA202 guard)."""

    def __init__(self, name: str = "rea.status") -> None:
        self._state: State[StatusRecord] = State(name, StatusRecord)

    async def update(self, ctx: Any, phase: str, **detail: Any) -> StatusRecord:
        current = await self._state.get(ctx) or StatusRecord()
        record = StatusRecord(phase=phase, detail=detail, updates=current.updates + 1)
        self._state.set(ctx, record)
        return record

    async def read(self, ctx: Any) -> StatusRecord:
        return await self._state.get(ctx) or StatusRecord()


class LoopLimitExceeded(TerminalError):
    """A bounded loop ran out of iterations: the condition it waited for never came."""

    def __init__(self, what: str, max_iterations: int) -> None:
        super().__init__(
            f"{what} did not finish within {max_iterations} iterations; raise the bound or handle the give-up",
            status_code=500,
        )
        self.what = what
        self.max_iterations = max_iterations


def bounded(max_iterations: int, what: str = "loop") -> Iterator[int]:
    """``for i in bounded(20, "poll shipment"): ... break`` - raises when the loop did not break.

    A durable loop without a bound replays (and journals) forever; this makes the bound explicit.
    A bad bound is refused here, at the call, not at the first iteration.
    """
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) or max_iterations < 1:
        raise TerminalError(f"bounded({what!r}): max_iterations must be an int >= 1, got {max_iterations!r}")
    return _bounded(max_iterations, what)


def _bounded(max_iterations: int, what: str) -> Iterator[int]:
    yield from range(max_iterations)
    raise LoopLimitExceeded(what, max_iterations)


class Approval(BaseModel):
    """A human decision, as resolved into the awakeable/promise."""

    approved: bool
    by: str
    comment: str = ""


def approval_payload(approved: bool, by: str, comment: str = "") -> dict[str, Any]:
    """What the approver sends (resolve the awakeable or promise with this)."""
    return Approval(approved=approved, by=by, comment=comment).model_dump()


async def request_approval(
    ctx: Any,
    notify: Callable[[str], Any],
    timeout: timedelta,
    *,
    what: str = "approval",
) -> Approval:
    """Create an awakeable, ``notify(awakeable_id)`` in a run (send the mail/ticket), then wait.

    ``notify`` may be sync (it runs on the SDK's executor thread) or async; its return value is
    not journaled. Returns the `Approval` (who decided, and how; a rejection is returned, not
    raised); raises `TimedOut` if nobody answered within ``timeout``.
    The approver resolves the awakeable with `approval_payload(...)`
    (``ctx.resolve_awakeable(id, payload)`` or the ingress ``/restate/awakeables/<id>/resolve``).
    """
    awakeable_id, future = ctx.awakeable()
    send: Callable[[], Any]
    if inspect.iscoroutinefunction(notify):

        async def send_async() -> None:
            await notify(awakeable_id)

        send = send_async
    else:

        def send_sync() -> None:
            result = notify(awakeable_id)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TerminalError(
                    f"request_approval({what}): notify returned a {type(result).__name__}; pass the async "
                    f"function itself (notify=send_mail), not a lambda that calls it"
                )

        send = send_sync

    await run(ctx, f"notify {what}", send)
    raw = await with_timeout(ctx, future, timeout, what=what)
    try:
        return Approval.model_validate(raw)
    except Exception as err:  # noqa: BLE001 - pydantic's ValidationError, reported terminally
        raise TerminalError(
            f"{what}: the awakeable was resolved with {raw!r}, not an approval; resolve it with "
            f"rea_runtime.workflow.approval_payload(approved=..., by=...)"
        ) from err


def race_promise(ctx: Any, name: str, timeout: timedelta) -> Awaitable[Any]:
    """`with_timeout` for a workflow's durable promise by name."""
    return with_timeout(ctx, ctx.promise(name).value(), timeout, what=f"promise {name!r}")

