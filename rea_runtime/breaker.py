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
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Awaitable, Callable, Literal, Optional, TypeVar

import restate
from pydantic import BaseModel
from restate import RunOptions
from restate.exceptions import TerminalError

from .services import VirtualObject

__all__ = ["CircuitBreaker", "CircuitOpenError", "BreakerStatus", "breaker_object"]

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


class Outcome(BaseModel):
    ok: bool
    failure_threshold: int
    cooldown_ms: int


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


async def _load(ctx: restate.ObjectSharedContext) -> BreakerStatus:
    return await ctx.get(_STATE, type_hint=BreakerStatus) or BreakerStatus()


def _now_ms(t: float) -> int:
    return int(t * 1000)


@breaker_object.handler()
async def acquire(ctx: restate.ObjectContext, ask: Ask) -> Decision:
    """May a call go through now? Open -> half-open once the cool-down has passed (one trial)."""
    st = await _load(ctx)
    now = _now_ms(await ctx.time())
    if st.state == "open" and now >= st.open_until_ms:
        st.state = "half_open"
        st.trial_until_ms = 0
    if st.state == "open":
        return Decision(allowed=False, state="open", retry_after_ms=st.open_until_ms - now)
    if st.state == "half_open":
        if now < st.trial_until_ms:
            return Decision(allowed=False, state="half_open", retry_after_ms=st.trial_until_ms - now)
        st.trial_until_ms = now + ask.cooldown_ms
        ctx.set(_STATE, st)
        return Decision(allowed=True, state="half_open")
    return Decision(allowed=True, state="closed")


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
    """

    def __init__(self, dependency: str, *, failure_threshold: int = 5, cooldown: timedelta = timedelta(seconds=30),
                 on_open: Literal["terminal", "retryable"] = "terminal", max_attempts: int = 10) -> None:
        from .presets import ConfigurationError

        if failure_threshold < 1:
            raise ConfigurationError(f"CircuitBreaker({dependency!r}): failure_threshold is {failure_threshold}; "
                                     "fix: 1 or more")
        if cooldown <= timedelta(0):
            raise ConfigurationError(f"CircuitBreaker({dependency!r}): cooldown is {cooldown}; fix: a positive duration")
        if on_open not in ("terminal", "retryable"):
            raise ConfigurationError(f"CircuitBreaker({dependency!r}): on_open is {on_open!r}; "
                                     "fix: 'terminal' or 'retryable'")
        if max_attempts < 1:
            raise ConfigurationError(f"CircuitBreaker({dependency!r}): max_attempts is {max_attempts}; fix: 1 or more")
        self.dependency = dependency
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.on_open = on_open
        self.max_attempts = max_attempts

    @property
    def _cooldown_ms(self) -> int:
        return int(self.cooldown.total_seconds() * 1000)

    async def status(self, ctx: Any) -> BreakerStatus:
        return await ctx.object_call(status, key=self.dependency, arg=None)

    async def run(self, ctx: Any, name: str, action: Callable[..., T] | Callable[..., Awaitable[T]],
                  /, *args: Any, type_hint: Optional[type] = None) -> T:
        """Run ``action(*args)`` as one journaled attempt if the breaker allows it, and report the outcome.

        The action gets exactly one attempt per breaker decision (`max_attempts=1`): Restate's
        own retries would hide the failures from the breaker.
        """
        attempt = 0
        while True:
            attempt += 1
            decision: Decision = await ctx.object_call(acquire, key=self.dependency,
                                                       arg=Ask(cooldown_ms=self._cooldown_ms))
            if not decision.allowed:
                if self.on_open == "terminal" or attempt >= self.max_attempts:
                    raise CircuitOpenError(self.dependency, decision.retry_after_ms)
                await ctx.sleep(timedelta(milliseconds=max(decision.retry_after_ms, 1)), name=f"{name}: breaker open")
                continue
            try:
                # The SDK's run_typed, not rea_runtime.run: importing that submodule would shadow
                # the package's lazy `rea_runtime.run` function with the module.
                result = await ctx.run_typed(name, action, RunOptions(max_attempts=1, type_hint=type_hint), *args)
            except TerminalError as err:
                await self._record(ctx, ok=False)
                if self.on_open == "terminal" or attempt >= self.max_attempts:
                    raise TerminalError(f"{self.dependency}: {err.message}", status_code=err.status_code) from None
                backoff = min(self.cooldown, timedelta(milliseconds=100 * 2 ** min(attempt, 10)))
                await ctx.sleep(backoff, name=f"{name}: backoff")
                continue
            await self._record(ctx, ok=True)
            return result

    async def _record(self, ctx: Any, ok: bool) -> BreakerStatus:
        return await ctx.object_call(record, key=self.dependency, arg=Outcome(
            ok=ok, failure_threshold=self.failure_threshold, cooldown_ms=self._cooldown_ms))
