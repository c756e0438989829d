"""The durable circuit breaker on a real restate-server, with an injected flaky dependency.

Opens after N failures (later calls fail fast without touching the dependency), half-opens
after the cool-down, closes after a successful trial, re-opens after a failed one, and
concurrent invocations all see one consistent state (exclusive handlers per key). Runs with
`always_replay`, so every decision is also replayed from the journal.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
import restate

import rea_runtime
from rea_runtime.breaker import BreakerStatus, CircuitBreaker, breaker_object

COOLDOWN = timedelta(seconds=2)  # wide enough for a loaded 2-core CI between the calls
OPEN_WINDOW = timedelta(seconds=6)
"""The cool-down of `call_open_window`: a test that asserts a call fails fast right after the
breaker opened needs that call to come before the cool-down ends, however loaded the machine."""
THRESHOLD = 3

FLAKY: dict[str, dict] = {}
"""dependency -> {"fail": bool, "calls": int}: the injected dependency's behaviour and call count."""


def dependency(dep: str) -> str:
    entry = FLAKY.setdefault(dep, {"fail": False, "calls": 0})
    entry["calls"] += 1
    if entry["fail"]:
        raise RuntimeError(f"{dep} is down")
    return f"{dep} ok"


callers = rea_runtime.Service("BreakerCaller", policy="strict")


@callers.handler()
async def call(ctx: restate.Context, dep: str) -> str:
    # One attempt per call, and the invocation fails at each counted failure: asked for here.
    breaker = CircuitBreaker(dep, failure_threshold=THRESHOLD, cooldown=COOLDOWN, run_attempts=1,
                             on_failure="terminal")
    return await breaker.run(ctx, "call dependency", dependency, dep)


@callers.handler()
async def call_open_window(ctx: restate.Context, dep: str) -> str:
    """`call` with the cool-down `OPEN_WINDOW`: the call after the one that opened the breaker
    fails fast however slow the machine is (a loaded run outlasted the 2 s of `COOLDOWN` there);
    the tests wait for its end on the breaker's own clock (`_past_cooldown`), not a fixed sleep."""
    breaker = CircuitBreaker(dep, failure_threshold=THRESHOLD, cooldown=OPEN_WINDOW, run_attempts=1,
                             on_failure="terminal")
    return await breaker.run(ctx, "call dependency", dependency, dep)


@callers.handler()
async def call_long_cooldown(ctx: restate.Context, dep: str) -> str:
    """`call` with a cool-down no test run outlasts: what happens while the breaker is open must
    not depend on how fast a loaded machine gets through the calls (with `COOLDOWN` a slow run
    half-opened it midway and made one call the trial)."""
    breaker = CircuitBreaker(dep, failure_threshold=THRESHOLD, cooldown=timedelta(minutes=10), run_attempts=1,
                             on_failure="terminal")
    return await breaker.run(ctx, "call dependency", dependency, dep)


def flaky_then_ok(dep: str) -> str:
    """Fails while ``fail_left`` > 0 (a transient blip), then answers."""
    entry = FLAKY[dep]
    entry["calls"] += 1
    if entry.get("fail_left", 0) > 0:
        entry["fail_left"] -= 1
        raise RuntimeError(f"{dep} blip")
    if entry.get("refuse"):
        raise restate.TerminalError(f"{dep}: no such sku", status_code=404)
    return f"{dep} ok"


@callers.handler()
async def call_defaults(ctx: restate.Context, dep: str) -> str:
    breaker = CircuitBreaker(dep, failure_threshold=2, cooldown=COOLDOWN, run_attempts=2,
                             retry_interval=timedelta(milliseconds=20))
    return await breaker.run(ctx, "call dependency", flaky_then_ok, dep)


@callers.handler()
async def call_sharded(ctx: restate.Context, dep: str) -> str:
    breaker = CircuitBreaker(dep, failure_threshold=4, cooldown=timedelta(seconds=30), shards=4, run_attempts=1,
                             on_failure="terminal")
    return await breaker.run(ctx, "call dependency", dependency, dep)


@callers.handler()
async def call_waiting(ctx: restate.Context, dep: str) -> str:
    breaker = CircuitBreaker(dep, failure_threshold=1, cooldown=COOLDOWN, on_open="retryable", max_attempts=5,
                             run_attempts=1)
    return await breaker.run(ctx, "call dependency", dependency, dep)


@pytest.fixture(scope="module")
def restate_options() -> dict:
    # Suspend and replay at every await: the breaker's decisions must come back from the
    # journal identically (the same server as test_replay_server, reused in one session).
    return {"always_replay": True}


@pytest.fixture(scope="module")
def restate_app():
    return rea_runtime.app([callers, breaker_object])


async def _status(env, dep: str) -> BreakerStatus:
    resp = await env.call("CircuitBreaker", "status", key=dep)
    assert resp.status_code == 200, resp.text
    return BreakerStatus.model_validate(resp.json())


async def _past_cooldown(env, dep: str, cooldown: timedelta) -> BreakerStatus:
    """Wait until the open breaker's cool-down has ended by its own clock (`open_until_ms`: from
    then on the next call is the half-open trial), however long the calls before it took."""
    st = await _status(env, dep)
    assert st.state == "open", st
    remaining = st.open_until_ms / 1000 - time.time()
    assert remaining <= cooldown.total_seconds() + 1, st  # ends within its cool-down (+1 s: clock steps)
    await asyncio.sleep(max(0.0, remaining) + 0.2)
    return st


def _flaky(dep: str, fail: bool) -> dict:
    entry = FLAKY.setdefault(dep, {"fail": fail, "calls": 0})
    entry["fail"] = fail
    return entry


async def test_opens_half_opens_and_closes(restate_env) -> None:
    dep = restate_env.unique("dep")
    flaky = _flaky(dep, fail=True)
    for i in range(THRESHOLD):
        resp = await restate_env.call("BreakerCaller", "call_open_window", dep)
        assert resp.status_code == 500 and f"{dep} is down" in resp.text, resp.text
        assert (await _status(restate_env, dep)).failures == i + 1
    st = await _status(restate_env, dep)
    assert st.state == "open" and st.opened == 1

    resp = await restate_env.call("BreakerCaller", "call_open_window", dep)  # fails fast: dependency untouched
    assert resp.status_code == 503 and "is open" in resp.text, resp.text
    assert flaky["calls"] == THRESHOLD

    await _past_cooldown(restate_env, dep, OPEN_WINDOW)
    flaky["fail"] = False
    resp = await restate_env.call("BreakerCaller", "call_open_window", dep)  # the half-open trial
    assert resp.status_code == 200 and resp.json() == f"{dep} ok"
    st = await _status(restate_env, dep)
    assert (st.state, st.failures) == ("closed", 0)
    assert flaky["calls"] == THRESHOLD + 1


async def test_failed_trial_reopens(restate_env) -> None:
    dep = restate_env.unique("dep")
    flaky = _flaky(dep, fail=True)
    for _ in range(THRESHOLD):
        await restate_env.call("BreakerCaller", "call_open_window", dep)
    first = await _past_cooldown(restate_env, dep, OPEN_WINDOW)
    resp = await restate_env.call("BreakerCaller", "call_open_window", dep)  # trial fails
    assert resp.status_code == 500 and "is down" in resp.text
    st = await _status(restate_env, dep)
    assert st.state == "open" and st.opened == 2 and st.open_until_ms > first.open_until_ms
    assert flaky["calls"] == THRESHOLD + 1
    resp = await restate_env.call("BreakerCaller", "call_open_window", dep)
    assert resp.status_code == 503


async def test_concurrent_invocations_see_one_state(restate_env) -> None:
    dep = restate_env.unique("dep")
    flaky = _flaky(dep, fail=True)
    # the long cool-down: 12 calls through one exclusive key, replayed at every await, may take
    # longer than COOLDOWN on a loaded machine, and the breaker would half-open between them
    # (and more than the client's default 30 s: they queue on the key one after the other)
    async with restate_env.client(timeout=180) as client:
        resps = await asyncio.gather(*(restate_env.call("BreakerCaller", "call_long_cooldown", dep, client=client)
                                       for _ in range(12)))
    down = [r for r in resps if r.status_code == 500 and "is down" in r.text]
    fast = [r for r in resps if r.status_code == 503 and "is open" in r.text]
    assert len(down) + len(fast) == 12, [r.text for r in resps]
    st = await _status(restate_env, dep)
    # Every call the breaker let through reached the dependency once and was recorded once.
    assert flaky["calls"] == len(down) == st.failures
    # Calls admitted before the first failure was recorded all reach the dependency (a breaker
    # is not a concurrency limit), but the breaker opens exactly once.
    assert st.state == "open" and st.opened == 1 and len(down) >= THRESHOLD
    resp = await restate_env.call("BreakerCaller", "call_long_cooldown", dep)
    assert resp.status_code == 503 and flaky["calls"] == len(down)


async def test_retryable_waits_durably_for_half_open(restate_env) -> None:
    dep = restate_env.unique("dep")
    flaky = _flaky(dep, fail=True)
    resp = await restate_env.call("BreakerCaller", "call", dep)  # threshold 3: one failure, still closed
    assert resp.status_code == 500
    task = asyncio.create_task(restate_env.call("BreakerCaller", "call_waiting", dep))
    # call_waiting opens the breaker (threshold 1) and sleeps durably (bounded poll: CI is slow)
    for _ in range(100):
        if (await _status(restate_env, dep)).state == "open":
            break
        await asyncio.sleep(0.05)
    assert (await _status(restate_env, dep)).state == "open"
    flaky["fail"] = False
    resp = await task
    assert resp.status_code == 200 and resp.json() == f"{dep} ok", resp.text
    assert (await _status(restate_env, dep)).state == "closed"



async def test_transient_errors_are_retried_before_they_count(restate_env) -> None:
    dep = restate_env.unique("dep")
    FLAKY[dep] = {"calls": 0, "fail_left": 1}
    resp = await restate_env.call("BreakerCaller", "call_defaults", dep)
    assert resp.status_code == 200 and resp.json() == f"{dep} ok", resp.text
    assert FLAKY[dep]["calls"] == 2  # the blip was retried inside the run
    st = await _status(restate_env, dep)
    assert (st.state, st.failures) == ("closed", 0)  # and never counted


async def test_default_failure_is_not_terminal_until_the_breaker_opens(restate_env) -> None:
    """One exhausted call counts once and is retried through the breaker; the invocation ends only
    when the breaker opens (on_open='terminal'), with the breaker's 503, not the first failure."""
    dep = restate_env.unique("dep")
    FLAKY[dep] = {"calls": 0, "fail_left": 10**6}
    resp = await restate_env.call("BreakerCaller", "call_defaults", dep)
    assert resp.status_code == 503 and "is open" in resp.text, resp.text
    assert FLAKY[dep]["calls"] == 2 * 2  # threshold 2 counted failures x run_attempts 2
    st = await _status(restate_env, dep)
    assert (st.state, st.failures, st.opened) == ("open", 2, 1)


async def test_the_actions_own_terminal_error_passes_through_uncounted(restate_env) -> None:
    dep = restate_env.unique("dep")
    FLAKY[dep] = {"calls": 0, "refuse": True}
    resp = await restate_env.call("BreakerCaller", "call_defaults", dep)
    assert resp.status_code == 404 and "no such sku" in resp.text, resp.text
    assert FLAKY[dep]["calls"] == 1
    st = await _status(restate_env, dep)
    assert (st.state, st.failures) == ("closed", 0)


async def test_shards_spread_one_dependency_over_several_keys(restate_env) -> None:
    from rea_runtime import events

    dep = restate_env.unique("dep")
    _flaky(dep, fail=True)
    changes: list[dict] = []
    events.subscribe("breaker", lambda **f: changes.append(f))
    try:
        resps = [await restate_env.call("BreakerCaller", "call_sharded", dep) for _ in range(16)]
    finally:
        events._listeners["breaker"] = ()
    assert {r.status_code for r in resps} <= {500, 503}
    opened = {c["key"] for c in changes if c["state"] == "open"}
    assert len(opened) >= 2 and opened <= {f"{dep}~{i}" for i in range(4)}, changes
    for key in opened:  # each shard opened after its own share of the threshold (4 / 4 = 1)
        st = await _status(restate_env, key)
        assert (st.state, st.failures, st.opened) == ("open", 1, 1)
    assert all(c["previous"] == "closed" for c in changes)
    assert (await _status(restate_env, dep)).failures == 0  # the unsharded key is unused


async def test_every_state_change_is_one_event(restate_env) -> None:
    """closed -> open -> half-open (the cool-down ended: a trial) -> open (it failed) -> half-open
    -> closed, each reported once although every attempt is replayed (always_replay)."""
    from rea_runtime import events

    dep = restate_env.unique("dep")
    flaky = _flaky(dep, fail=True)
    changes: list[dict] = []

    def record(**fields):
        if fields["dependency"] == dep:
            changes.append(fields)

    events.subscribe("breaker", record)
    try:
        for _ in range(THRESHOLD):
            await restate_env.call("BreakerCaller", "call", dep)
        await _past_cooldown(restate_env, dep, COOLDOWN)
        assert (await restate_env.call("BreakerCaller", "call", dep)).status_code == 500  # the trial fails
        await _past_cooldown(restate_env, dep, COOLDOWN)
        flaky["fail"] = False
        assert (await restate_env.call("BreakerCaller", "call", dep)).status_code == 200  # this one closes it
    finally:
        events.unsubscribe("breaker", record)
    assert [(c["previous"], c["state"]) for c in changes] == [
        ("closed", "open"), ("open", "half_open"), ("half_open", "open"), ("open", "half_open"),
        ("half_open", "closed")], changes
    assert [c["failures"] for c in changes] == [THRESHOLD, None, THRESHOLD + 1, None, 0]
    assert {c["key"] for c in changes} == {dep}
