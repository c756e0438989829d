"""Workflow helpers: durable deadlines, timeouts on `restate.select`, a status record, bounded
loops and a human-approval step.

Each is a few lines on the SDK's primitives, written once so handlers do not reinvent them
with `asyncio.wait_for` (not journaled) or unbounded `while True` polling loops.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Awaitable, Callable, Iterator, TypeVar

import restate
from pydantic import BaseModel
from restate import TerminalError

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
    if hasattr(future, "value") and not isinstance(future, restate.RestateDurableFuture):
        future = future.value()  # a (guarded) DurablePromise: race its value
    if not isinstance(future, restate.RestateDurableFuture):
        raise TerminalError(
            f"with_timeout({what}): got a {type(future).__name__}; pass a durable future such as "
            f"ctx.promise(name).value(), an awakeable's future or a call (asyncio.wait_for is not journaled)"
        )
    match await restate.select(result=future, timeout=ctx.sleep(timeout)):
        case ["result", value]:
            return value
        case _:
            raise TimedOut(what, timeout)


class Deadline:
    """A journaled point in time: ``d = await Deadline.after(ctx, timedelta(hours=1))``.

    ``d.remaining(ctx)`` bounds each later wait, so a multi-step workflow keeps one overall limit
    across replays and restarts (the start time is read once, through `ctx.time()`).
    """

    def __init__(self, at: float) -> None:
        self.at = at

    @classmethod
    async def after(cls, ctx: Any, delay: timedelta) -> "Deadline":
        return cls(await ctx.time() + delay.total_seconds())

    async def remaining(self, ctx: Any) -> timedelta:
        return timedelta(seconds=max(0.0, self.at - await ctx.time()))

    async def wait(self, ctx: Any, future: Awaitable[T], *, what: str = "the wait") -> T:
        """`with_timeout` with whatever time is left."""
        return await with_timeout(ctx, future, await self.remaining(ctx), what=what)

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


def bounded(max_iterations: int, what: str = "loop") -> Iterator[int]:
    """``for i in bounded(20, "poll shipment"): ... break`` - raises when the loop did not break.

    A durable loop without a bound replays (and journals) forever; this makes the bound explicit.
    """
    if max_iterations < 1:
        raise TerminalError(f"bounded({what!r}): max_iterations must be >= 1, got {max_iterations}")
    yield from range(max_iterations)
    raise LoopLimitExceeded(
        f"{what} did not finish within {max_iterations} iterations; raise the bound or handle the give-up",
        status_code=500,
    )


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

    Returns the `Approval` (who decided, and how); raises `TimedOut` if nobody answered.
    The approver resolves the awakeable with `approval_payload(...)`
    (``ctx.resolve_awakeable(id, payload)`` or the ingress ``/restate/awakeables/<id>/resolve``).
    """
    awakeable_id, future = ctx.awakeable()
    await run(ctx, f"notify {what}", lambda: notify(awakeable_id))
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

