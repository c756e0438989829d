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
A compensation is a function (run as a journaled action, retried attempt by attempt, each
attempt and each back-off journaled, so the dead letter records the attempts really made), or
a durable call / one-way send / delayed send to another handler (`saga.call(cancel, arg)`,
`saga.send(...)`, `saga.send(..., delay=)`), journaled like any call: the callee is invoked
once, whatever crashes. A step ``key=`` (business data) makes its compensation idempotent:
once it succeeded under that key, asking again (a second rollback, a redrive) skips it.
The original error is re-raised as `SagaFailed`, a `TerminalError` carrying the outcome.
Anything that is not a `TerminalError` (a transient error, the SDK's suspension) passes
through untouched: Restate retries the attempt and the saga replays, it does not roll back.
"""

from __future__ import annotations

import base64
import enum
import inspect
import math
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable, Mapping, Optional, TypeVar, Union

from pydantic import BaseModel
from restate import RunOptions, TerminalError
from restate.handler import handler_from_callable
from restate.server_context import restate_context_is_replaying

from . import events
from .guards import CURRENT, report
from .misuse import check_action, target_kind
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
    "clear_dead_letters",
    "redrive",
    "call",
    "send",
    "CallCompensation",
    "compensation_done",
]

T = TypeVar("T")


def _whole(value: Any) -> bool:
    """An int, and not a bool (``True`` attempts is a slip, not a count)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(td: timedelta) -> str:
    """A duration as people write it: ``-0:00:01``, not timedelta's ``-1 day, 23:59:59``."""
    return str(td) if td >= timedelta(0) else f"-{-td}"


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
    """Retries of one compensation's run (RunOptions); exhausting them dead-letters it.

    ``max_attempts`` counts every attempt (1: no retry); between attempts the saga sleeps
    durably, ``initial_interval`` first, then times ``factor`` each time, at most ``max_interval``."""

    max_attempts: int = 3
    initial_interval: timedelta = timedelta(milliseconds=100)
    max_interval: timedelta = timedelta(seconds=10)
    factor: float = 2.0

    def __post_init__(self) -> None:
        """Checked here: a bad value met only when a compensation fails would break the rollback
        itself (an error Restate retries forever, and nothing undone)."""
        if not _whole(self.max_attempts) or self.max_attempts < 1:
            raise SagaMisuse(f"Retry: max_attempts is {self.max_attempts!r}; fix: a whole number of attempts, "
                             f"1 or more (1: no retry)")
        for name in ("initial_interval", "max_interval"):
            value = getattr(self, name)
            if not isinstance(value, timedelta):
                raise SagaMisuse(f"Retry: {name} is {type(value).__name__} {value!r}; fix: a datetime.timedelta, "
                                 f"e.g. {name}=timedelta(milliseconds=100) (a bare number has no unit)")
        if self.initial_interval < timedelta(0):
            raise SagaMisuse(f"Retry: initial_interval is {_fmt(self.initial_interval)}; fix: 0 or a positive duration")
        if self.max_interval < self.initial_interval:
            raise SagaMisuse(f"Retry: max_interval ({_fmt(self.max_interval)}) is below initial_interval "
                             f"({_fmt(self.initial_interval)}); fix: max_interval >= initial_interval")
        if not _real(self.factor) or not math.isfinite(self.factor) or self.factor < 1:
            raise SagaMisuse(f"Retry: factor is {self.factor!r}; fix: a finite number >= 1 (1: the same "
                             f"interval each time, 2: doubling)")

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
    kind: str = "run"
    """run (a function: redrive needs it again), call or send (redriven from what is stored here)."""
    target: str = ""
    """``Service/handler`` of a call/send compensation."""
    target_key: Optional[str] = None
    payload: str = ""
    """The call's serialized argument, base64."""
    key: Optional[str] = None
    """The step's idempotency key, if it had one."""


DEAD_LETTERS: State[list[DeadLetter]] = State("rea.saga.dead_letters", list[DeadLetter], default=[])
"""The state entry holding dead letters (of the object key / workflow id that ran the saga)."""


DONE: State[list[str]] = State("rea.saga.done", list[str], default=[])
"""Idempotency keys of compensations that succeeded (the most recent `DONE_MAX`)."""
DONE_MAX = 1000


async def dead_letters(ctx: Any, saga: Optional[str] = None) -> list[DeadLetter]:
    """The dead letters of this object/workflow (of one ``saga`` if named); works from a shared handler."""
    letters = await DEAD_LETTERS.get(ctx) or []
    return [d for d in letters if saga is None or d.saga == saga]


async def compensation_done(ctx: Any, key: str) -> bool:
    """Whether a compensation with idempotency ``key`` already succeeded here."""
    return key in (await DONE.get(ctx) or [])


async def clear_dead_letters(ctx: Any, saga: Optional[str] = None, step: Optional[str] = None) -> int:
    """Drop dead letters (of one saga / step, else all) once handled by hand; returns how many.

    Writes state: call it from an exclusive (admin) handler of the same object / workflow."""
    letters = await DEAD_LETTERS.get(ctx) or []
    keep = [d for d in letters if not ((saga is None or d.saga == saga) and (step is None or d.step == step))]
    DEAD_LETTERS.set(ctx, keep)
    return len(letters) - len(keep)


@dataclass(frozen=True)
class CallCompensation:
    """A compensation that is a durable call (or one-way send) to another handler.

    ``arg``: the argument, or a function of the step's result returning it. ``key``: the
    object key / workflow id of the target. ``delay``: for sends, when to deliver it."""

    target: Callable[..., Any]
    arg: Any = None
    key: Optional[str] = None
    send: bool = False
    delay: Optional[timedelta] = None

    def address(self) -> tuple[str, str, Any]:
        handler: Any = handler_from_callable(self.target)
        return handler.service_tag.name, handler.name, handler

    def payload(self, result: Any) -> bytes:
        _, _, handler = self.address()
        arg = self.arg(result) if callable(self.arg) else self.arg
        return handler.handler_io.input_serde.serialize(arg)


def call(target: Callable[..., Any], arg: Any = None, *, key: Optional[str] = None) -> CallCompensation:
    """Compensate with a durable call: ``compensate=saga.call(cancel_flight, lambda booking: booking["id"])``.

    The saga waits for it; a terminal error from the callee dead-letters the step (the callee's
    transient failures are retried by Restate under the callee's own retry policy)."""
    _check_target("saga.call", target, key)
    return CallCompensation(target, arg, key)


def _check_target(where: str, target: Any, key: Any) -> None:
    """Now, not when the rollback needs it: a target that is no handler fails only then."""
    kind = target_kind(target)
    if kind is None:
        what = getattr(target, "__qualname__", None) or type(target).__name__
        raise SagaMisuse(
            f"{where}: target must be a Restate handler (a function decorated with @service.handler() and "
            f"the like), got {what}; fix: pass the handler to call or send, or give a plain function as "
            f"compensate= itself (it runs as a journaled action)")
    if key is not None and not isinstance(key, str):
        raise SagaMisuse(f"{where}: key is {type(key).__name__} {key!r}; fix: the target's object key / workflow "
                         f"id as a str")
    if kind in ("object", "workflow") and key is None:
        article = "an object" if kind == "object" else "a workflow"
        raise SagaMisuse(f"{where}: {_handler_name(target)} is {article} handler; fix: pass key=... (which "
                         f"{kind} to address)")
    if kind == "service" and key is not None:
        raise SagaMisuse(f"{where}: {_handler_name(target)} is a service handler: it takes no key; fix: drop key=")


def _handler_name(target: Any) -> str:
    service, name, _ = CallCompensation(target).address()
    return f"{service}/{name}"


def send(target: Callable[..., Any], arg: Any = None, *, key: Optional[str] = None,
         delay: Optional[timedelta] = None) -> CallCompensation:
    """Compensate with a one-way send (``delay=``: delivered later); done once it is enqueued."""
    _check_target("saga.send", target, key)
    if delay is not None and not isinstance(delay, timedelta):
        raise SagaMisuse(f"saga.send: delay is {type(delay).__name__} {delay!r}; fix: a datetime.timedelta, "
                         f"e.g. delay=timedelta(minutes=5) (a bare number has no unit)")
    if delay is not None and delay <= timedelta(0):
        raise SagaMisuse(f"saga.send: delay must be positive, got {_fmt(delay)}; fix: a positive timedelta, or "
                         f"no delay")
    return CallCompensation(target, arg, key, send=True, delay=delay)


Compensation = Union[Callable[..., Any], CallCompensation]


@dataclass
class SagaOutcome:
    """What a rollback did, in the order it did it."""

    compensated: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    """Step name -> why its compensation failed (also without dead letters)."""
    dead_lettered: bool = True
    """Whether the ``failed`` ones were written as dead letters (not with ``dead_letter=False``)."""

    @property
    def clean(self) -> bool:
        """Every compensation the strategy chose ran successfully."""
        return not self.failed and not self.skipped

    def describe(self) -> str:
        parts = [f"compensated: {', '.join(self.compensated) or '-'}"]
        if self.failed and self.dead_lettered:
            parts.append(f"failed (dead-lettered): {', '.join(self.failed)}")
        elif self.failed:  # no dead letter keeps the errors: this line does
            failed = ", ".join(f"{n} ({self.errors[n]})" if n in self.errors else n for n in self.failed)
            parts.append(f"failed (not dead-lettered: dead_letter=False): {failed}")
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
    compensate: Optional[Compensation]
    takes_result: bool = False
    started: bool = False
    completed: bool = False
    result: Any = None
    key: Optional[str] = None


def _takes_result(fn: Compensation) -> bool:
    if isinstance(fn, CallCompensation):
        return False
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    return bool(positional)


def _check_retry(where: str, retry: Any) -> None:
    if not isinstance(retry, Retry):
        fix = f"Retry(max_attempts={retry})" if _whole(retry) and retry >= 1 else "Retry(max_attempts=3, ...)"
        raise SagaMisuse(f"{where}: retry is {type(retry).__name__} {retry!r}, not a Retry; fix: retry={fix}")


def _check_saga_args(name: Any, strategy: Any, retry: Any, dead_letter: Any) -> None:
    """In the constructor, not at the rollback: there a bad value fails the rollback itself, with
    an error Restate retries forever while nothing is undone."""
    if not isinstance(name, str) or not name:
        raise SagaMisuse(f"Saga: name is {name!r}; fix: a non-empty str naming the saga (it labels its dead letters)")
    try:
        Strategy(strategy)
    except (ValueError, TypeError):
        allowed = ", ".join(repr(s.value) for s in Strategy)
        raise SagaMisuse(f"Saga({name!r}): strategy {strategy!r} is not one of: {allowed}; "
                         f"fix: one of these, or Strategy.ALL / COMPLETED / BEST_EFFORT / UNTIL_FIRST_SUCCESS") from None
    _check_retry(f"Saga({name!r})", retry)
    if not isinstance(dead_letter, bool):
        raise SagaMisuse(f"Saga({name!r}): dead_letter is {dead_letter!r}; fix: True or False")


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
        _check_saga_args(name, strategy, retry, dead_letter)
        if dead_letter and _kind(ctx) not in ("exclusive", "workflow"):
            raise SagaMisuse(
                f"Saga({name!r}) needs an exclusive ObjectContext or WorkflowContext to record dead "
                f"letters in state (got a {_kind(ctx) or 'service'} context); use a VirtualObject/Workflow "
                f"handler, or pass dead_letter=False"
            )
        self.ctx = ctx
        self.name = name
        self.strategy = Strategy(strategy)  # checked above
        self.retry = retry
        self.dead_letter = dead_letter
        self._steps: dict[str, _Step] = {}
        self._order: list[str] = []
        self._failed_step: Optional[str] = None
        self._finished: Optional[str] = None
        """Why no step may be added any more (the block ended, the saga rolled back), or None."""
        self.outcome: Optional[SagaOutcome] = None

    # -- the safe API -------------------------------------------------------------------

    async def step(
        self,
        name: str,
        action: Optional[Callable[[], T | Awaitable[T]]] = None,
        *,
        compensate: Compensation,
        call: Optional[Callable[[], Awaitable[T]]] = None,
        max_attempts: Optional[int] = None,
        key: Optional[str] = None,
    ) -> T:
        """Register ``compensate``, then run ``action`` as a durable run named ``name``.

        ``compensate``: a function (run action), or `call(...)` / `send(...)` of a handler.
        ``key``: an idempotency key from business data (``f"refund-{order_id}"``): a
        compensation that already succeeded under it is not run again.

        ``call``: instead of ``action``, a zero-argument factory of a durable call future
        (``lambda: ctx.service_call(book, arg)``), created only after the registration.
        ``compensate`` receives the action's result if it takes an argument (None when the
        action did not complete).
        """
        self._check_open(name)
        if compensate is None:
            raise SagaMisuse(
                f"saga step {name!r} needs a compensation; a step with nothing to undo is a plain "
                f"`await rea_runtime.run(ctx, {name!r}, action)` outside the saga"
            )
        # Everything `run` would refuse, refused before the compensation is registered: a step
        # refused after it would roll back with an undo of an action that never ran.
        self._check_step(name, action, call, max_attempts)
        if action is not None:
            check_action(CURRENT.get(), action, name, sys._getframe(1))  # REA208 (strict raises here)
        self.register(name, compensate, key=key)
        return await self.run(name, action, call=call, max_attempts=max_attempts)

    def _check_step(self, name: Any, action: Any, call: Any, max_attempts: Any) -> None:
        self._check_name(name)
        if (action is None) == (call is None):
            given = "both" if action is not None else "neither"
            raise SagaMisuse(f"saga step {name!r}: pass exactly one of action= (a run) or call= (a durable call), "
                             f"got {given}")
        if call is not None and not callable(call):
            raise SagaMisuse(
                f"saga step {name!r}: call= must be a function that makes the durable call, got "
                f"{type(call).__name__}; fix: call=lambda: ctx.service_call(handler, arg) (a call made before "
                f"the step starts runs before its compensation is registered)")
        if max_attempts is not None and (not _whole(max_attempts) or max_attempts < 1):
            raise SagaMisuse(f"saga step {name!r}: max_attempts is {max_attempts!r}; fix: a whole number "
                             f"of attempts, 1 or more, or None (the invocation's retry policy)")

    def _check_open(self, name: Any) -> None:
        if self._finished is not None:
            raise SagaMisuse(
                f"saga {self.name!r}: step {name!r} comes after the saga finished ({self._finished}): it would "
                f"run, but no rollback would ever undo it; fix: run it inside the `async with` block, or in a "
                f"new Saga")

    def _check_name(self, name: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise SagaMisuse(f"saga {self.name!r}: a step name is {name!r}; fix: a non-empty str (it names the "
                             f"step's run in the journal and its dead letter)")

    # -- the lower-level API (order checked at run time: REA501) ---------------------------

    def register(self, name: str, compensate: Compensation, *, key: Optional[str] = None) -> None:
        """Register the compensation of step ``name``; must come before ``run(name, ...)``."""
        self._check_open(name)
        self._check_name(name)
        if key is not None and (not isinstance(key, str) or not key):
            raise SagaMisuse(f"saga step {name!r}: key is {key!r}; fix: a non-empty str from business data "
                             f"(f'refund-{{order_id}}'), or None")
        if not callable(compensate) and not isinstance(compensate, CallCompensation):
            raise SagaMisuse(f"saga step {name!r}: compensate must be callable, got {type(compensate).__name__}")
        existing = self._steps.get(name)
        if existing is not None and existing.compensate is not None:
            raise SagaMisuse(f"saga {self.name!r} already has a step {name!r}; give each step a unique name")
        if existing is not None:
            # Its action already ran: a crash in between would have left it with no undo.
            report(CURRENT.get(), "REA501", f"saga.register({name!r}) after saga.run({name!r})", sys._getframe(1))
            existing.compensate, existing.takes_result = compensate, _takes_result(compensate)
            existing.key = key
            return
        self._steps[name] = _Step(name, compensate, _takes_result(compensate), key=key)
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
        self._check_open(name)
        self._check_step(name, action, call, max_attempts)
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
            self._emit("saga_step", step=name, outcome="failed")
            raise
        st.completed, st.result = True, result
        self._emit("saga_step", step=name, outcome="completed")
        return result

    def _emit(self, event: str, **fields: Any) -> None:
        """Hooks see each step once: not again when a later attempt replays it from the journal."""
        if not restate_context_is_replaying.get():
            events.emit(event, saga=self.name, **fields)

    # -- rollback -------------------------------------------------------------------------

    def _chosen(self) -> list[_Step]:
        steps = [self._steps[n] for n in reversed(self._order)]
        steps = [s for s in steps if s.compensate is not None]
        if self.strategy is Strategy.COMPLETED:
            steps = [s for s in steps if s.completed]
        return steps

    async def compensate(self, error: TerminalError) -> SagaOutcome:
        """Run the compensations (LIFO, per the strategy) and return what happened.

        Once: asked again (by hand, then by the `async with` block it ran in) it returns the
        first rollback's outcome and runs nothing twice. After it, the saga takes no steps."""
        if self.outcome is not None:
            return self.outcome
        self._finished = self._finished or "it was rolled back"
        outcome = SagaOutcome(dead_lettered=self.dead_letter)
        chosen = self._chosen()
        for i, st in enumerate(chosen):
            comp = st.compensate
            assert comp is not None
            if st.key is not None and self.dead_letter and await compensation_done(self.ctx, st.key):
                outcome.compensated.append(st.name)  # already undone under this key: not twice
                self._emit("compensation", step=st.name, ok=True, attempts=0, skipped=True)
                continue
            attempts, err = await _attempt(self.ctx, self.retry, st.name, comp, st.result, st.takes_result)
            self._emit("compensation", step=st.name, ok=err is None, attempts=attempts, skipped=False)
            if err is not None:
                outcome.failed.append(st.name)
                outcome.errors[st.name] = err.message
                stop = self.strategy in (Strategy.ALL, Strategy.COMPLETED)
                pending = [s.name for s in chosen[i + 1:]] if stop else []
                await self._dead_letter(st, err, attempts, pending)
                if stop:
                    outcome.skipped.extend(pending)
                    break
                continue
            if st.key is not None and self.dead_letter:
                await _mark_done(self.ctx, st.key)
            outcome.compensated.append(st.name)
            if self.strategy is Strategy.UNTIL_FIRST_SUCCESS:
                break
        self.outcome = outcome
        return outcome

    async def _dead_letter(self, st: _Step, err: TerminalError, attempts: int, pending: list[str]) -> None:
        if not self.dead_letter:
            return
        letter = DeadLetter(
            saga=self.name, step=st.name, error=err.message, attempts=attempts,
            pending=pending, invocation_id=self.ctx.request().id, key=st.key,
        )
        comp = st.compensate
        if isinstance(comp, CallCompensation):
            service, handler, _ = comp.address()
            letter.kind = "send" if comp.send else "call"
            letter.target, letter.target_key = f"{service}/{handler}", comp.key
            letter.payload = base64.b64encode(comp.payload(st.result)).decode()
        letters = await DEAD_LETTERS.get(self.ctx) or []
        letters.append(letter)
        DEAD_LETTERS.set(self.ctx, letters)

    async def __aenter__(self) -> "Saga":
        if self._finished is not None:
            raise SagaMisuse(f"saga {self.name!r} already finished ({self._finished}); fix: a new Saga for a "
                             f"new block")
        return self

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        self._finished = self._finished or "its `async with` block ended"
        if not isinstance(exc, TerminalError) or isinstance(exc, SagaFailed):
            return False  # success, a transient error (Restate retries) or the SDK suspending
        outcome = await self.compensate(exc)
        failed = SagaFailed(self.name, self._failed_step, exc, outcome)
        if hasattr(exc, "add_note"):
            exc.add_note(f"saga {self.name!r} rolled back; {outcome.describe()}")
        raise failed from exc


async def _mark_done(ctx: Any, key: str) -> None:
    done = [k for k in await DONE.get(ctx) or [] if k != key]
    DONE.set(ctx, (done + [key])[-DONE_MAX:])


def _attempt_action(comp: Callable[..., Any]) -> Callable[..., Any]:
    """One attempt of a compensation inside its run: a transient failure becomes a journaled
    result (the saga decides on a retry), a `TerminalError` ends the retries."""

    if inspect.iscoroutinefunction(comp):

        async def attempt_async(*args: Any) -> dict:
            try:
                await comp(*args)
            except TerminalError:
                raise
            except Exception as err:  # noqa: BLE001 - retried, recorded in the journal
                return {"error": f"{type(err).__name__}: {err}"}
            return {}

        return attempt_async

    def attempt(*args: Any) -> dict:
        try:
            result = comp(*args)
            if inspect.isawaitable(result):
                raise TerminalError(_awaitable_returned(comp, result))
        except TerminalError:
            raise
        except Exception as err:  # noqa: BLE001 - retried, recorded in the journal
            return {"error": f"{type(err).__name__}: {err}"}
        return {}

    return attempt


def _awaitable_returned(comp: Callable[..., Any], result: Any) -> str:
    """Why a plain function's awaitable result did nothing, and what to pass instead."""
    if inspect.iscoroutine(result):
        result.close()  # it never runs; closed, it adds no "never awaited" warning
        made = f"the coroutine {result.__qualname__}(...)"
        fix = (f"pass the async function itself (compensate={result.__qualname__}, not a lambda around it; "
               f"it receives the step's result if it takes a parameter), or make the compensation `async def` "
               f"and await it there")
    else:
        made = f"a {type(result).__name__}"
        fix = "make the compensation `async def` and await it there"
    what = getattr(comp, "__qualname__", type(comp).__name__)
    return f"the compensation {what} returned {made} without awaiting it, so nothing was undone; fix: {fix}"


async def _attempt(ctx: Any, retry: Retry, step: str, comp: Compensation, result: Any,
                   takes_result: bool) -> tuple[int, Optional[TerminalError]]:
    """Run one compensation; (attempts made, the error that gave up or None)."""
    if isinstance(comp, CallCompensation):
        service, handler, _ = comp.address()
        payload = comp.payload(result)
        try:
            if comp.send:
                ctx.generic_send(service, handler, payload, key=comp.key, send_delay=comp.delay)
            else:
                await ctx.generic_call(service, handler, payload, key=comp.key)
        except TerminalError as err:
            return 1, err
        return 1, None
    args = (result,) if takes_result else ()
    action = _attempt_action(comp)
    delay = retry.initial_interval
    last = ""
    for n in range(1, retry.max_attempts + 1):
        name = f"compensate {step}" if n == 1 else f"compensate {step} (attempt {n})"
        try:
            out = await run_typed(ctx, name, action, *args, options=RunOptions(max_attempts=1))
        except TerminalError as err:
            return n, err
        if not out.get("error"):
            return n, None
        last = out["error"]
        if n < retry.max_attempts:
            events_retry(step, n, last)
            await ctx.sleep(delay, name=f"compensate {step} backoff {n}")
            # Capped in seconds first: a large factor would overflow timedelta before the cap.
            seconds = delay.total_seconds() * retry.factor
            delay = retry.max_interval if seconds >= retry.max_interval.total_seconds() else timedelta(seconds=seconds)
    return retry.max_attempts, TerminalError(f"{last} (gave up after {retry.max_attempts} attempts)", status_code=500)


def events_retry(step: str, attempt: int, error: str) -> None:
    if not restate_context_is_replaying.get():
        events.emit("retry", kind="compensation", what=f"compensate {step}", attempt=attempt, error=error)


async def redrive(ctx: Any, saga: Optional[str] = None, *,
                  actions: Optional[Mapping[str, Callable[..., Any]]] = None,
                  retry: Retry = Retry()) -> list[DeadLetter]:
    """Run dead-lettered compensations again (of one ``saga``, else all); returns those still dead.

    Call and send compensations are redriven from what the letter stores; a run compensation
    needs its function again in ``actions`` (by step name) and is left in place without one.
    A success removes the letter (and records its key); a failure updates its error and adds
    the attempts made. Writes state: call it from an exclusive (admin) handler."""
    _check_retry("redrive", retry)
    letters = await DEAD_LETTERS.get(ctx) or []
    actions = actions or {}
    keep: list[DeadLetter] = []
    for letter in letters:
        if saga is not None and letter.saga != saga:
            keep.append(letter)
            continue
        step = f"redrive {letter.saga}/{letter.step}"
        if letter.kind in ("call", "send"):
            service, _, handler = letter.target.partition("/")
            payload = base64.b64decode(letter.payload)
            try:
                if letter.kind == "send":
                    ctx.generic_send(service, handler, payload, key=letter.target_key)
                else:
                    await ctx.generic_call(service, handler, payload, key=letter.target_key)
                attempts, err = 1, None
            except TerminalError as e:
                attempts, err = 1, e
        elif letter.step in actions:
            attempts, err = await _attempt(ctx, retry, step, actions[letter.step], None, False)
        else:
            keep.append(letter)
            continue
        if not restate_context_is_replaying.get():
            events.compensation(letter.saga, letter.step, err is None, attempts)
        if err is None:
            if letter.key is not None:
                await _mark_done(ctx, letter.key)
            continue
        keep.append(letter.model_copy(update={"error": err.message, "attempts": letter.attempts + attempts}))
    DEAD_LETTERS.set(ctx, keep)
    return keep
