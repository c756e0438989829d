"""`Saga`: compensations registered before their actions, undone LIFO as durable run steps.

A Restate handler replays its code against the journal, so the saga's list of registered
compensations is rebuilt on every attempt; what must hold is the *order*: an action whose
compensation is not registered yet has no undo if it fails half-way. `saga.step(...)` takes
both at once and registers first, so the wrong order cannot be written; the lower-level
`register`/`run` pair reports REA501 (through the runtime policy) when it is used backwards.

On a `TerminalError` the compensations run last-in first-out, each as its own `ctx.run`
(journaled: a crash mid-rollback resumes after the last finished undo, never repeats one),
with per-compensation retries. One that exhausts its retries is written to a dead-letter
list in the object's/workflow's state (read it from a shared handler with `dead_letters`).
The original error is re-raised as `SagaFailed`, a `TerminalError` carrying the outcome.
Anything that is not a `TerminalError` (a transient error, the SDK's suspension) passes
through untouched: Restate retries the attempt and the saga replays, it does not roll back.
"""

from __future__ import annotations

import enum
import inspect
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable, Optional, TypeVar

from pydantic import BaseModel
from restate import RunOptions, TerminalError

from .guards import CURRENT, report
from .run import run_typed
from .state import State, _kind

__all__ = [
    "Saga",
    "Strategy",
    "Retry",
    "SagaOutcome",
    "SagaFailed",
    "SagaMisuse",
    "DeadLetter",
    "DEAD_LETTERS",
    "dead_letters",
]

T = TypeVar("T")


class Strategy(str, enum.Enum):
    """Which compensations a rollback runs, and whether it stops at a failing one."""

    ALL = "all"
    """Every registered compensation, including the failed step's (its effect may be partial);
    stops at the first compensation that exhausts its retries."""
    COMPLETED = "completed"
    """Only the steps whose action completed; stops at the first failing compensation."""
    BEST_EFFORT = "best_effort"
    """Every registered compensation; a failing one is dead-lettered and the rollback goes on."""
    UNTIL_FIRST_SUCCESS = "until_first_success"
    """LIFO until one compensation succeeds (e.g. alternatives that each undo everything)."""


@dataclass(frozen=True)
class Retry:
    """Retries of one compensation's run (RunOptions); exhausting them dead-letters it."""

    max_attempts: int = 3
    initial_interval: timedelta = timedelta(milliseconds=100)
    max_interval: timedelta = timedelta(seconds=10)
    factor: float = 2.0

    def options(self) -> RunOptions[Any]:
        return RunOptions(
            max_attempts=self.max_attempts,
            initial_retry_interval=self.initial_interval,
            max_retry_interval=self.max_interval,
            retry_interval_factor=self.factor,
        )


class DeadLetter(BaseModel):
    """A compensation that exhausted its retries: what an operator must undo by hand."""

    saga: str
    step: str
    error: str
    attempts: int
    pending: list[str] = []
    """Compensations the rollback did not run because it stopped here (strategy ALL/COMPLETED)."""
    invocation_id: str = ""


DEAD_LETTERS: State[list[DeadLetter]] = State("rea.saga.dead_letters", list[DeadLetter], default=[])
"""The state entry holding dead letters (of the object key / workflow id that ran the saga)."""


async def dead_letters(ctx: Any) -> list[DeadLetter]:
    """The dead letters of this object/workflow; works from a shared handler."""
    return await DEAD_LETTERS.get(ctx) or []


@dataclass
class SagaOutcome:
    """What a rollback did, in the order it did it."""

    compensated: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Every compensation the strategy chose ran successfully."""
        return not self.failed and not self.skipped

    def describe(self) -> str:
        parts = [f"compensated: {', '.join(self.compensated) or '-'}"]
        if self.failed:
            parts.append(f"failed (dead-lettered): {', '.join(self.failed)}")
        if self.skipped:
            parts.append(f"not run: {', '.join(self.skipped)}")
        return "; ".join(parts)


class SagaMisuse(TerminalError):
    """The saga API was used wrongly; terminal, because retrying the same code cannot fix it."""


class SagaFailed(TerminalError):
    """The saga's original terminal error, after the rollback; ``outcome`` says what was undone."""

    def __init__(self, saga: str, step: Optional[str], cause: TerminalError, outcome: SagaOutcome) -> None:
        where = f" at step {step!r}" if step else ""
        super().__init__(
            f"saga {saga!r} failed{where}: {cause.message} [rolled back; {outcome.describe()}]",
            status_code=cause.status_code,
        )
        self.saga = saga
        self.step = step
        self.cause = cause
        self.outcome = outcome


@dataclass
class _Step:
    name: str
    compensate: Optional[Callable[..., Any]]
    takes_result: bool = False
    started: bool = False
    completed: bool = False
    result: Any = None


def _takes_result(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    return bool(positional)


class Saga:
    """``async with Saga(ctx, "booking") as saga: await saga.step("flight", action=..., compensate=...)``.

    ``ctx``: an exclusive object or workflow context (dead letters live in its state); a plain
    service context works with ``dead_letter=False``.
    """

    def __init__(
        self,
        ctx: Any,
        name: str = "saga",
        *,
        strategy: Strategy | str = Strategy.ALL,
        retry: Retry = Retry(),
        dead_letter: bool = True,
    ) -> None:
        if dead_letter and _kind(ctx) not in ("exclusive", "workflow"):
            raise SagaMisuse(
                f"Saga({name!r}) needs an exclusive ObjectContext or WorkflowContext to record dead "
                f"letters in state (got a {_kind(ctx) or 'service'} context); use a VirtualObject/Workflow "
                f"handler, or pass dead_letter=False"
            )
        self.ctx = ctx
        self.name = name
        self.strategy = Strategy(strategy)
        self.retry = retry
        self.dead_letter = dead_letter
        self._steps: dict[str, _Step] = {}
        self._order: list[str] = []
        self._failed_step: Optional[str] = None
        self.outcome: Optional[SagaOutcome] = None

    # -- the safe API -------------------------------------------------------------------

    async def step(
        self,
        name: str,
        action: Optional[Callable[[], T | Awaitable[T]]] = None,
        *,
        compensate: Callable[..., Any],
        call: Optional[Callable[[], Awaitable[T]]] = None,
        max_attempts: Optional[int] = None,
    ) -> T:
        """Register ``compensate``, then run ``action`` as a durable run named ``name``.

        ``call``: instead of ``action``, a zero-argument factory of a durable call future
        (``lambda: ctx.service_call(book, arg)``), created only after the registration.
        ``compensate`` receives the action's result if it takes an argument (None when the
        action did not complete).
        """
        if compensate is None:
            raise SagaMisuse(
                f"saga step {name!r} needs a compensation; a step with nothing to undo is a plain "
                f"`await rea_runtime.run(ctx, {name!r}, action)` outside the saga"
            )
        self.register(name, compensate)
        return await self.run(name, action, call=call, max_attempts=max_attempts)

    # -- the lower-level API (order checked at run time: REA501) ---------------------------

    def register(self, name: str, compensate: Callable[..., Any]) -> None:
        """Register the compensation of step ``name``; must come before ``run(name, ...)``."""
        if not callable(compensate):
            raise SagaMisuse(f"saga step {name!r}: compensate must be callable, got {type(compensate).__name__}")
        existing = self._steps.get(name)
        if existing is not None and existing.compensate is not None:
            raise SagaMisuse(f"saga {self.name!r} already has a step {name!r}; give each step a unique name")
        if existing is not None:
            # Its action already ran: a crash in between would have left it with no undo.
            report(CURRENT.get(), "REA501", f"saga.register({name!r}) after saga.run({name!r})", sys._getframe(1))
            existing.compensate, existing.takes_result = compensate, _takes_result(compensate)
            return
        self._steps[name] = _Step(name, compensate, _takes_result(compensate))
        self._order.append(name)

    async def run(
        self,
        name: str,
        action: Optional[Callable[[], T | Awaitable[T]]] = None,
        *,
        call: Optional[Callable[[], Awaitable[T]]] = None,
        max_attempts: Optional[int] = None,
    ) -> T:
        """Run the action of a registered step; a failure marks it as the saga's failing step."""
        if (action is None) == (call is None):
            raise SagaMisuse(f"saga step {name!r}: pass exactly one of action= (a run) or call= (a durable call)")
        st = self._steps.get(name)
        if st is None:
            report(CURRENT.get(), "REA501", f"saga.run({name!r})", sys._getframe(1))
            st = self._steps[name] = _Step(name, None)
            self._order.append(name)
        elif st.started:
            raise SagaMisuse(f"saga {self.name!r}: step {name!r} already ran; give each step a unique name")
        st.started = True
        try:
            if call is not None:
                result = await call()
            else:
                result = await run_typed(self.ctx, name, action, max_attempts=max_attempts)  # type: ignore[arg-type]
        except TerminalError:
            self._failed_step = name
            raise
        st.completed, st.result = True, result
        return result

    # -- rollback -------------------------------------------------------------------------

    def _chosen(self) -> list[_Step]:
        steps = [self._steps[n] for n in reversed(self._order)]
        steps = [s for s in steps if s.compensate is not None]
        if self.strategy is Strategy.COMPLETED:
            steps = [s for s in steps if s.completed]
        return steps

    async def compensate(self, error: TerminalError) -> SagaOutcome:
        """Run the compensations (LIFO, per the strategy) and return what happened."""
        outcome = SagaOutcome()
        chosen = self._chosen()
        for i, st in enumerate(chosen):
            comp = st.compensate
            assert comp is not None
            args = (st.result,) if st.takes_result else ()
            try:
                await run_typed(self.ctx, f"compensate {st.name}", comp, *args, options=self.retry.options())
            except TerminalError as err:
                outcome.failed.append(st.name)
                stop = self.strategy in (Strategy.ALL, Strategy.COMPLETED)
                pending = [s.name for s in chosen[i + 1:]] if stop else []
                await self._dead_letter(st.name, err, pending)
                if stop:
                    outcome.skipped.extend(pending)
                    break
                continue
            outcome.compensated.append(st.name)
            if self.strategy is Strategy.UNTIL_FIRST_SUCCESS:
                break
        self.outcome = outcome
        return outcome

    async def _dead_letter(self, step: str, err: TerminalError, pending: list[str]) -> None:
        if not self.dead_letter:
            return
        letters = await DEAD_LETTERS.get(self.ctx) or []
        letters.append(DeadLetter(
            saga=self.name, step=step, error=err.message, attempts=self.retry.max_attempts,
            pending=pending, invocation_id=self.ctx.request().id,
        ))
        DEAD_LETTERS.set(self.ctx, letters)

    async def __aenter__(self) -> "Saga":
        return self

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        if not isinstance(exc, TerminalError) or isinstance(exc, SagaFailed):
            return False  # success, a transient error (Restate retries) or the SDK suspending
        outcome = await self.compensate(exc)
        failed = SagaFailed(self.name, self._failed_step, exc, outcome)
        if hasattr(exc, "add_note"):
            exc.add_note(f"saga {self.name!r} rolled back; {outcome.describe()}")
        raise failed from exc
