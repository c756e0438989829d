"""A durable circuit breaker: a Virtual Object per dependency, and a helper around run actions.

Why durable: an in-memory breaker is per process and forgotten on restart, while Restate
retries from any process; every retry of every invocation would hammer a dependency that is
down. The breaker's state (closed / open / half-open, failure count, open-until) lives in the
object ``CircuitBreaker/<dependency>``; its exclusive handlers run one at a time per key, so
every invocation sees one consistent state. Time comes from ``await ctx.time()`` inside the
object (journaled), and callers only branch on journaled call results, so replays decide the
same way.

Add :data:`breaker_object` to your app and wrap calls::

    PAYMENTS = CircuitBreaker("payments-api", failure_threshold=5, cooldown=timedelta(seconds=30))
    receipt = await PAYMENTS.run(ctx, "charge", charge_card, card, amount)

A transient error of the action is retried inside its run first (``run_attempts``, as a plain
run would be); only a call that exhausts them counts as one failure. After a counted failure
the call backs off durably and goes through the breaker again (``on_failure="retry"``, up to
``max_attempts``); it ends terminally only where the user asks: ``on_failure="terminal"``,
``on_open="terminal"``, or a `TerminalError` the action raises itself (passed through, not
counted: the dependency answered). ``shards=N`` spreads one dependency over N keys
(``<dependency>~<i>``, chosen per invocation with the journaled ``ctx.random()``), so a hot
dependency is not one exclusive lock; each shard counts its own failures. A dependency name
ending in ``~<digits>`` is refused, so no unsharded key equals a shard key.
"""

from __future__ import annotations

import inspect
import math
import re
from datetime import timedelta
from typing import Any, Awaitable, Callable, Literal, Optional, TypeVar

import restate
from pydantic import BaseModel
from restate import RunOptions
from restate.exceptions import TerminalError
from restate.server_context import restate_context_is_replaying

from . import events
from .arguments import check_name
from .context import GuardedContext
from .presets import ConfigurationError
from .run import _serde_for, run_failed, run_settled
from .services import VirtualObject

__all__ = ["CircuitBreaker", "CircuitOpenError", "BreakerConfigError", "BreakerStatus", "breaker_object"]

T = TypeVar("T")

Phase = Literal["closed", "open", "half_open"]


class BreakerStatus(BaseModel):
    """The stored state of one dependency's breaker (times in ms since the epoch, from `ctx.time()`)."""

    state: Phase = "closed"
    failures: int = 0
    open_until_ms: int = 0
    trial_until_ms: int = 0
    """Half-open: a trial call holds the slot until then (a caller that died frees it)."""
    opened: int = 0
    """How many times the breaker has opened (monitoring)."""


class Ask(BaseModel):
    cooldown_ms: int


class Decision(BaseModel):
    allowed: bool
    state: Phase
    retry_after_ms: int = 0
    previous: Optional[Phase] = None
    """The stored state before this `acquire` (it differs when the cool-down just ended)."""


class Outcome(BaseModel):
    ok: bool
    failure_threshold: int
    cooldown_ms: int


class BreakerConfigError(ConfigurationError, TerminalError):
    """A `CircuitBreaker(...)` argument that cannot work; the message names it and the fix.

    A `ConfigurationError` (at import, where breakers are usually built) and a `TerminalError`:
    a breaker built inside a handler fails the invocation instead of being retried forever."""

    def __init__(self, message: str) -> None:
        TerminalError.__init__(self, message)


_SHARD_SUFFIX = re.compile(r"~[0-9]+\Z")
"""How shard keys end (``<dependency>~<i>``): a dependency named so could share a shard's state."""
_MS = timedelta(milliseconds=1)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fmt(td: timedelta) -> str:
    return str(td) if td >= timedelta(0) else f"-{-td}"


class CircuitOpenError(TerminalError):
    """The dependency's breaker is open: the call was not made (HTTP 503 at the ingress)."""

    def __init__(self, dependency: str, retry_after_ms: int) -> None:
        super().__init__(
            f"circuit breaker {dependency!r} is open: the call was not made; it half-opens in "
            f"{retry_after_ms} ms (fix: wait, or CircuitBreaker(..., on_open='retryable') to wait durably)",
            status_code=503,
        )
        self.dependency = dependency
        self.retry_after_ms = retry_after_ms


breaker_object = VirtualObject("CircuitBreaker")
"""The Virtual Object holding every breaker, keyed by dependency name. Add it to your app."""

_STATE = "breaker"


async def _load(ctx: restate.ObjectSharedContext | restate.ObjectContext) -> BreakerStatus:
    return await ctx.get(_STATE, type_hint=BreakerStatus) or BreakerStatus()


def _now_ms(t: float) -> int:
    return int(t * 1000)


@breaker_object.handler()
async def acquire(ctx: restate.ObjectContext, ask: Ask) -> Decision:
    """May a call go through now? Open -> half-open once the cool-down has passed (one trial)."""
    st = await _load(ctx)
    previous = st.state
    now = _now_ms(await ctx.time())
    if st.state == "open" and now >= st.open_until_ms:
        st.state = "half_open"
        st.trial_until_ms = 0
    if st.state == "open":
        return Decision(allowed=False, state="open", retry_after_ms=st.open_until_ms - now, previous=previous)
    if st.state == "half_open":
        if now < st.trial_until_ms:
            # Not stored: the open -> half-open change is reported by the caller that gets the trial.
            return Decision(allowed=False, state="half_open", retry_after_ms=st.trial_until_ms - now,
                            previous=previous)
        st.trial_until_ms = now + ask.cooldown_ms
        ctx.set(_STATE, st)
        return Decision(allowed=True, state="half_open", previous=previous)
    return Decision(allowed=True, state="closed", previous=previous)


@breaker_object.handler()
async def record(ctx: restate.ObjectContext, outcome: Outcome) -> BreakerStatus:
    """Report a call's outcome: a success closes; the Nth failure (or a failed trial) opens."""
    st = await _load(ctx)
    if outcome.ok:
        st = BreakerStatus(opened=st.opened)
    else:
        st.failures += 1
        # Already open: a late report from a call let through earlier counts, but neither
        # re-opens nor extends the cool-down (the breaker opened once for this outage).
        if st.state != "open" and (st.state == "half_open" or st.failures >= outcome.failure_threshold):
            st.state = "open"
            st.open_until_ms = _now_ms(await ctx.time()) + outcome.cooldown_ms
            st.trial_until_ms = 0
            st.opened += 1
    ctx.set(_STATE, st)
    return st


@breaker_object.handler(kind="shared")
async def status(ctx: restate.ObjectSharedContext) -> BreakerStatus:
    return await _load(ctx)


@breaker_object.handler()
async def reset(ctx: restate.ObjectContext) -> None:
    """Close the breaker by hand (an operator who knows the dependency is back)."""
    ctx.clear(_STATE)


class CircuitBreaker:
    """Settings for one dependency's breaker, and :meth:`run` to call through it.

    ``on_open="terminal"`` fails fast with :class:`CircuitOpenError`. ``"retryable"`` waits
    durably (`ctx.sleep`) until the breaker half-opens and tries again, up to ``max_attempts``
    calls in total: a plain exception would not do, because a retried invocation replays the
    journaled "open" answer instead of asking again.
    ``run_attempts`` / ``retry_interval``: transient errors retried inside one admitted call
    before it counts as a failure. ``on_failure``: after a counted failure, ``"retry"`` (back off
    durably and go through the breaker again) or ``"terminal"`` (fail the invocation).
    ``shards``: how many object keys the dependency is spread over.
    """

    def __init__(self, dependency: str, *, failure_threshold: int = 5, cooldown: timedelta = timedelta(seconds=30),
                 on_open: Literal["terminal", "retryable"] = "terminal", max_attempts: int = 10,
                 run_attempts: int = 3, retry_interval: timedelta = timedelta(milliseconds=100),
                 on_failure: Literal["retry", "terminal"] = "retry", shards: int = 1) -> None:
        def bad(what: str, fix: str) -> BreakerConfigError:
            return BreakerConfigError(f"CircuitBreaker({dependency!r}): {what}; fix: {fix}")

        # Every argument checked here: a bad one met later fails inside `run`, after the action
        # ran, with an error Restate retries forever (nan), or quietly never opens (0 ms).
        if not isinstance(dependency, str) or not dependency:
            raise bad(f"dependency is {type(dependency).__name__} {dependency!r}",
                      "a non-empty str naming the dependency (it is the breaker's object key)")
        if _SHARD_SUFFIX.search(dependency):
            base, _, n = dependency.rpartition("~")
            raise bad(f"the name ends like a shard key ('<dependency>~<n>': the keys of {base!r} with shards > 1), "
                      f"so two breakers could share one state",
                      f"a name that does not end in '~' and digits, e.g. {base + '-' + n!r}")
        for name, value in (("failure_threshold", failure_threshold), ("max_attempts", max_attempts),
                            ("run_attempts", run_attempts), ("shards", shards)):
            if not _whole(value) or value < 1:
                raise bad(f"{name} is {value!r}", "a whole number, 1 or more")
        for name, span, example in (("cooldown", cooldown, "seconds=30"),
                                    ("retry_interval", retry_interval, "milliseconds=100")):
            if not isinstance(span, timedelta):
                raise bad(f"{name} is {type(span).__name__} {span!r}",
                          f"a datetime.timedelta, e.g. {name}=timedelta({example}) (a bare number has no unit)")
            if span < _MS:
                raise bad(f"{name} is {_fmt(span)}", "at least timedelta(milliseconds=1): the breaker counts whole "
                          "milliseconds, and a shorter one is 0 (a cool-down of 0 never keeps the breaker open)")
        if on_open not in ("terminal", "retryable"):
            raise bad(f"on_open is {on_open!r}", "'terminal' or 'retryable'")
        if on_failure not in ("retry", "terminal"):
            raise bad(f"on_failure is {on_failure!r}", "'retry' or 'terminal'")
        self.dependency = dependency
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.on_open = on_open
        self.on_failure = on_failure
        self.max_attempts = max_attempts
        self.run_attempts = run_attempts
        self.retry_interval = retry_interval
        self.shards = shards

    @property
    def _cooldown_ms(self) -> int:
        return int(self.cooldown.total_seconds() * 1000)

    @property
    def keys(self) -> list[str]:
        """The object keys of this dependency's breaker (one unless sharded)."""
        return [self.dependency] if self.shards == 1 else [f"{self.dependency}~{i}" for i in range(self.shards)]

    @property
    def _threshold(self) -> int:
        return math.ceil(self.failure_threshold / self.shards)

    def _key(self, ctx: Any) -> str:
        return self.dependency if self.shards == 1 else f"{self.dependency}~{ctx.random().randrange(self.shards)}"

    async def status(self, ctx: Any) -> BreakerStatus:
        """The state of the (first) shard; `statuses` has them all."""
        return await ctx.object_call(status, key=self.keys[0], arg=None)

    async def statuses(self, ctx: Any) -> list[BreakerStatus]:
        return [await ctx.object_call(status, key=k, arg=None) for k in self.keys]

    async def run(self, ctx: Any, name: str, action: Callable[..., T] | Callable[..., Awaitable[T]],
                  /, *args: Any, type_hint: Optional[type] = None) -> T:
        """Run ``action(*args)`` through the breaker: one journaled run per admitted call
        (transient errors retried inside it), its outcome reported to the breaker."""
        check_name(f"CircuitBreaker({self.dependency!r}).run", name, action)  # before the breaker is asked
        key = self._key(ctx)
        sdk_ctx = ctx.unwrap() if isinstance(ctx, GuardedContext) else ctx
        opts: RunOptions[Any] = RunOptions(max_attempts=self.run_attempts, type_hint=type_hint,
                                           initial_retry_interval=self.retry_interval,
                                           max_retry_interval=max(self.retry_interval, self.cooldown))
        serde = _serde_for(action, opts)
        attempt = 0
        while True:
            attempt += 1
            decision: Decision = await ctx.object_call(acquire, key=key, arg=Ask(cooldown_ms=self._cooldown_ms))
            if decision.allowed and decision.previous not in (None, decision.state):
                self._changed(key, decision.previous, decision.state, None)  # the cool-down ended: the trial
            if not decision.allowed:
                if self.on_open == "terminal" or attempt >= self.max_attempts:
                    raise CircuitOpenError(self.dependency, decision.retry_after_ms)
                await ctx.sleep(timedelta(milliseconds=max(decision.retry_after_ms, 1)), name=f"{name}: breaker open")
                continue
            run_name = name if attempt == 1 else f"{name} (attempt {attempt})"
            try:
                # The SDK's run_typed, not rea_runtime.run: importing that submodule would shadow
                # the package's lazy `rea_runtime.run` function with the module.
                retry: dict[str, Any] = {} if self.run_attempts == 1 else dict(
                    initial_retry_interval=opts.initial_retry_interval, max_retry_interval=opts.max_retry_interval)
                out = await ctx.run_typed(run_name, _answered(action, serde, sdk_ctx, run_name, self.run_attempts),
                                          RunOptions(max_attempts=opts.max_attempts, type_hint=dict, **retry), *args)
            except TerminalError as err:  # the run's retries are exhausted: one failure
                st = await self._record(ctx, key, ok=False, prior=decision.state)
                if self.on_failure == "terminal" or attempt >= self.max_attempts:
                    raise TerminalError(f"{self.dependency}: {err.message}", status_code=err.status_code) from None
                if not restate_context_is_replaying.get():
                    events.emit("retry", kind="breaker", what=f"breaker {self.dependency}: {name}", attempt=attempt,
                                max_attempts=self.max_attempts, error=err.message)
                if st.state == "open" and self.on_open == "terminal":  # this failure opened it
                    raise CircuitOpenError(self.dependency, self._cooldown_ms) from None
                backoff = min(self.cooldown, self.retry_interval * 2 ** min(attempt, 10))
                await ctx.sleep(backoff, name=f"{name}: backoff")
                continue
            if "terminal" in out:  # the action's own TerminalError: the dependency answered
                message, code = out["terminal"]
                raise TerminalError(message, status_code=code)
            await self._record(ctx, key, ok=True, prior=decision.state)
            return serde.deserialize(out["value"].encode())  # type: ignore[return-value]

    async def _record(self, ctx: Any, key: str, ok: bool, prior: str) -> BreakerStatus:
        st: BreakerStatus = await ctx.object_call(record, key=key, arg=Outcome(
            ok=ok, failure_threshold=self._threshold, cooldown_ms=self._cooldown_ms))
        if st.state != prior:
            self._changed(key, prior, st.state, st.failures)
        return st

    def _changed(self, key: str, previous: str, state: str, failures: Optional[int]) -> None:
        """Emit `breaker` once per change (not again when a later attempt replays the journal)."""
        if not restate_context_is_replaying.get():
            events.emit("breaker", dependency=self.dependency, key=key, previous=previous, state=state,
                        failures=failures)


def _answered(action: Callable[..., Any], serde: Any, sdk_ctx: Any, name: str, run_attempts: int) -> Callable[..., Any]:
    """The action inside its run: its result serialized, its own `TerminalError` journaled as an
    answer (not retried, not counted), any other exception reported (`retry`, kind `run`) and
    left to the run's retries."""

    if inspect.iscoroutinefunction(action):

        async def answered_async(*args: Any) -> dict:
            try:
                value = await action(*args)
            except TerminalError as err:
                run_settled(sdk_ctx, name)
                return {"terminal": [err.message, err.status_code]}
            except Exception as err:  # noqa: BLE001 - reported, then the SDK retries it
                run_failed(sdk_ctx, name, err, run_attempts)
                raise
            run_settled(sdk_ctx, name)
            return {"value": serde.serialize(value).decode()}

        return answered_async

    def answered(*args: Any) -> dict:
        try:
            value = action(*args)
        except TerminalError as err:
            run_settled(sdk_ctx, name)
            return {"terminal": [err.message, err.status_code]}
        except Exception as err:  # noqa: BLE001 - reported, then the SDK retries it
            run_failed(sdk_ctx, name, err, run_attempts)
            raise
        run_settled(sdk_ctx, name)
        return {"value": serde.serialize(value).decode()}

    return answered
