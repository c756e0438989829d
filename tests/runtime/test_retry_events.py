"""The `retry` event (and `rea_retries_total`) on a real restate-server, for each kind of retry:
a run action's transient error (the SDK retries the run in a new attempt and has no hook of its
own), a saga compensation's retry, and a breaker call retried through the breaker. Runs with
`always_replay`, so a replayed journal must not report a retry twice."""

from __future__ import annotations

import collections
from datetime import timedelta

import pytest
import restate
from prometheus_client import CollectorRegistry

import rea_runtime
from rea_runtime import events
from rea_runtime.breaker import CircuitBreaker, breaker_object
from rea_runtime.observability.metrics import Metrics
from rea_runtime.saga import Retry, Saga, SagaFailed

CALLS: collections.Counter[str] = collections.Counter()
"""(key) -> how many times the flaky action ran."""


def flaky(key: str, failures: int) -> str:
    """Raises a retryable error the first ``failures`` times it runs for ``key``, then answers."""
    CALLS[key] += 1
    if CALLS[key] <= failures:
        raise ConnectionError(f"blip {CALLS[key]}")
    return f"ok after {CALLS[key]}"


retrying = rea_runtime.VirtualObject("RetryEvents", policy="strict")


@retrying.handler()
async def run_flaky(ctx: restate.ObjectContext, failures: int) -> str:
    key = ctx.key()
    return await rea_runtime.run_typed(ctx, "flaky", flaky, key, failures)


@retrying.handler()
async def run_flaky_async(ctx: restate.ObjectContext, failures: int) -> str:
    key = ctx.key()

    async def action() -> str:
        return flaky(key, failures)

    return await rea_runtime.run(ctx, "flaky async", action)


@retrying.handler()
async def compensate_flaky(ctx: restate.ObjectContext) -> list[str]:
    key = ctx.key()
    try:
        async with Saga(ctx, "order", retry=Retry(max_attempts=3, initial_interval=timedelta(milliseconds=10))) as saga:
            await saga.step("reserve", action=lambda: "r1", compensate=lambda _: flaky(f"{key}/undo", 1))
            raise restate.TerminalError("declined")
    except SagaFailed as err:
        return err.outcome.compensated
    return []


@retrying.handler()
async def through_breaker(ctx: restate.ObjectContext) -> str:
    key = ctx.key()
    breaker = CircuitBreaker(f"dep-{key}", failure_threshold=5, run_attempts=2,
                             retry_interval=timedelta(milliseconds=10))
    # 3 failures: the run's 2 attempts fail (one counted failure), then the retry through the
    # breaker fails once more inside its run and succeeds on that run's second attempt.
    return await breaker.run(ctx, "dependency", flaky, f"{key}/dep", 3)


@pytest.fixture(scope="module")
def restate_options() -> dict:
    return {"always_replay": True}


@pytest.fixture(scope="module")
def restate_app():
    return rea_runtime.app([retrying, breaker_object])


@pytest.fixture
def retries():
    """The `retry` events and a fresh `rea_retries_total` while the test runs."""
    seen: list[dict] = []
    metrics = Metrics(CollectorRegistry())

    def record(**fields):
        seen.append(fields)

    events.subscribe("retry", record)
    events.subscribe("retry", metrics.on_retry)
    try:
        yield seen, metrics
    finally:
        events.unsubscribe("retry", record)
        events.unsubscribe("retry", metrics.on_retry)


@pytest.mark.parametrize("handler", ["run_flaky", "run_flaky_async"])
async def test_a_run_that_fails_twice_reports_two_retries_then_succeeds(restate_env, retries, handler):
    seen, metrics = retries
    key = restate_env.unique()
    resp = await restate_env.call("RetryEvents", handler, 2, key=key)
    assert resp.status_code == 200 and resp.json() == "ok after 3", resp.text
    assert CALLS[key] == 3
    name = "flaky" if handler == "run_flaky" else "flaky async"
    mine = [e for e in seen if e.get("what") == f"run {name}" and e.get("handler") == handler]
    assert [(e["kind"], e["attempt"]) for e in mine] == [("run", 1), ("run", 2)], seen
    assert [e["error"] for e in mine] == ["ConnectionError: blip 1", "ConnectionError: blip 2"]
    assert {e["service"] for e in mine} == {"RetryEvents"} and {e["max_attempts"] for e in mine} == {None}
    assert metrics.retries.labels("run")._value.get() == 2


async def test_a_run_that_succeeds_at_once_reports_nothing(restate_env, retries):
    seen, metrics = retries
    key = restate_env.unique()
    resp = await restate_env.call("RetryEvents", "run_flaky", 0, key=key)
    assert resp.status_code == 200 and CALLS[key] == 1
    assert seen == [] and metrics.retries.labels("run")._value.get() == 0


async def test_a_compensation_retry_is_reported_once_with_its_attempt(restate_env, retries):
    seen, metrics = retries
    key = restate_env.unique()
    resp = await restate_env.call("RetryEvents", "compensate_flaky", key=key)
    assert resp.status_code == 200 and resp.json() == ["reserve"], resp.text
    assert CALLS[f"{key}/undo"] == 2
    assert [(e["kind"], e["what"], e["attempt"]) for e in seen] == [("compensation", "compensate reserve", 1)]
    assert metrics.retries.labels("compensation")._value.get() == 1


async def test_breaker_run_retries_and_breaker_retries_are_reported(restate_env, retries):
    seen, metrics = retries
    key = restate_env.unique()
    resp = await restate_env.call("RetryEvents", "through_breaker", key=key)
    assert resp.status_code == 200 and resp.json() == "ok after 4", resp.text
    got = [(e["kind"], e["what"], e["attempt"]) for e in seen]
    assert got == [
        ("run", "run dependency", 1),                      # inside the first admitted run
        ("breaker", f"breaker dep-{key}: dependency", 1),  # its 2 attempts failed: counted, retried
        ("run", "run dependency (attempt 2)", 1),          # the second admitted run's first attempt
    ], seen
    assert metrics.retries.labels("run")._value.get() == 2
    assert metrics.retries.labels("breaker")._value.get() == 1
