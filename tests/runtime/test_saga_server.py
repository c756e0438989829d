"""Saga semantics on a real server (in-thread app): REA501 for the lower-level API in the wrong
order, the four rollback strategies, retries and dead letters, and the error it re-raises."""

from __future__ import annotations

import os
import sqlite3
from typing import Iterator

import pytest
import restate
import structlog

import rea_runtime
from rea_lint.catalog import RULES
from rea_runtime.saga import Saga, SagaFailed

from . import crash_app
from ._markers import where

HERE = __file__


def _misordered(policy: str) -> rea_runtime.VirtualObject:
    obj = rea_runtime.VirtualObject(f"Misordered_{policy}", policy=policy)

    @obj.handler()
    async def run_first(ctx: restate.ObjectContext) -> list[str]:
        saga = Saga(ctx, "misordered")
        await saga.run("charge", lambda: "charged")  # <- REA501.run
        return saga._order

    @obj.handler()
    async def register_late(ctx: restate.ObjectContext) -> list[str]:
        saga = Saga(ctx, "late")
        saga.register("charge", lambda: None)
        await saga.run("charge", lambda: "charged")
        await saga.run("ship", lambda: "shipped")  # <- REA501.late_run
        saga.register("ship", lambda: None)  # <- REA501.late
        return saga._order

    @obj.handler()
    async def in_order(ctx: restate.ObjectContext) -> str:
        saga = Saga(ctx, "ordered")
        saga.register("charge", lambda: None)
        return await saga.run("charge", lambda: "charged")

    return obj


svc = rea_runtime.Service("SagaInService", policy="strict")


@svc.handler()
async def needs_state(ctx: restate.Context) -> str:
    Saga(ctx, "nowhere")
    return "unreachable"


@svc.handler()
async def without_dead_letters(ctx: restate.Context) -> dict:
    undone: list[str] = []
    try:
        async with Saga(ctx, "stateless", dead_letter=False) as saga:
            await saga.step("a", action=lambda: 1, compensate=lambda r: undone.append(f"a:{r}"))
            await saga.step("b", action=_decline, compensate=lambda r: undone.append(f"b:{r}"))
    except SagaFailed as err:
        return {"undone": undone, "status": err.status_code, "cause": type(err.cause).__name__}
    return {}


def _decline() -> None:
    raise restate.TerminalError("declined", status_code=402)


@pytest.fixture(scope="module")
def restate_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    old = os.environ.get("REA_CRASH_DB")
    db = tmp_path_factory.mktemp("saga") / "effects.sqlite"
    os.environ["REA_CRASH_DB"] = str(db)
    yield restate.app([crash_app.trips, crash_app.undos, svc, *(_misordered(p) for p in ("strict", "warn", "disabled"))])
    if old is None:
        os.environ.pop("REA_CRASH_DB", None)
    else:
        os.environ["REA_CRASH_DB"] = old


def repair(key: str) -> None:
    with sqlite3.connect(os.environ["REA_CRASH_DB"]) as conn:
        conn.execute("INSERT INTO repairs VALUES (?)", (key,))


def effects(key: str) -> list[tuple[str, str]]:
    with sqlite3.connect(os.environ["REA_CRASH_DB"]) as conn:
        return [tuple(r) for r in conn.execute("SELECT kind, step FROM effects WHERE key = ? ORDER BY seq", (key,))]


# -- REA501 -------------------------------------------------------------------------------


@pytest.mark.parametrize("handler,mark", [("run_first", "REA501.run"), ("register_late", "REA501.late_run")])
async def test_rea501_strict_fails_at_the_action(restate_env, handler, mark):
    resp = await restate_env.call("Misordered_strict", handler, key=restate_env.unique())
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith("REA501 compensation-after-action: "), message
    assert f"at {where(HERE, mark)};" in message and RULES["REA501"].fix_hint in message


async def test_rea501_warn_logs_and_runs_on(restate_env):
    with structlog.testing.capture_logs() as logs:
        resp = await restate_env.call("Misordered_warn", "register_late", key=restate_env.unique())
    assert resp.status_code == 200, resp.text
    assert resp.json() == ["charge", "ship"]
    ours = [e for e in logs if e.get("code") == "REA501"]
    # one warning per invocation and rule: the first, at the action that ran unprotected
    assert [e["location"] for e in ours] == [where(HERE, "REA501.late_run")]


async def test_rea501_disabled_and_correct_order_are_silent(restate_env):
    with structlog.testing.capture_logs() as logs:
        a = await restate_env.call("Misordered_disabled", "run_first", key=restate_env.unique())
        b = await restate_env.call("Misordered_strict", "in_order", key=restate_env.unique())
    assert (a.status_code, b.status_code) == (200, 200), (a.text, b.text)
    assert b.json() == "charged"
    assert not [e for e in logs if e.get("code") == "REA501"]


async def test_service_context_needs_dead_letter_false(restate_env):
    resp = await restate_env.call("SagaInService", "needs_state")
    assert resp.status_code == 500 and "pass dead_letter=False" in resp.text, resp.text
    resp = await restate_env.call("SagaInService", "without_dead_letters")
    assert resp.status_code == 200, resp.text
    # ALL: the failed step's own compensation runs too (result None), then LIFO; status kept
    assert resp.json() == {"undone": ["b:None", "a:1"], "status": 402, "cause": "TerminalError"}


# -- strategies, retries, dead letters ----------------------------------------------------

STEPS = ["flight", "hotel", "car", "payment"]


async def _book(env, **req) -> tuple[str, dict]:
    key = env.unique("trip")
    resp = await env.call("CrashTrip", "book", req, key=key)
    assert resp.status_code == 200, resp.text
    return key, resp.json()


@pytest.mark.parametrize("strategy,compensated", [
    ("all", ["payment", "car", "hotel", "flight"]),
    ("completed", ["car", "hotel", "flight"]),
    ("best_effort", ["payment", "car", "hotel", "flight"]),
    ("until_first_success", ["payment"]),
])
async def test_strategies_choose_what_to_undo(restate_env, strategy, compensated):
    key, out = await _book(restate_env, fail_at="payment", strategy=strategy)
    assert out["compensated"] == compensated and out["failed"] == [] and out["skipped"] == []
    assert [s for k, s in effects(key) if k == "compensate"] == compensated


@pytest.mark.parametrize("strategy,compensated,skipped,pending", [
    ("all", ["payment", "car"], ["flight"], ["flight"]),
    ("best_effort", ["payment", "car", "flight"], [], []),
    ("until_first_success", ["payment"], [], None),
])
async def test_exhausted_compensation_is_dead_lettered(restate_env, strategy, compensated, skipped, pending):
    broken = ["hotel"] if strategy != "until_first_success" else ["payment"]
    key, out = await _book(restate_env, fail_at="payment", strategy=strategy, broken=broken)
    attempts = [s for k, s in effects(key) if k == "attempt"]
    assert attempts == broken * 2  # Retry(max_attempts=2), then given up
    if strategy == "until_first_success":  # the broken one is passed over, the next one ends it
        compensated, skipped, pending = ["car"], [], []
    assert out["compensated"] == compensated and out["failed"] == broken and out["skipped"] == skipped
    assert "dead-lettered" in out["error"]
    resp = await restate_env.call("CrashTrip", "describe", key=key)  # a shared handler reads them
    letters = resp.json()["dead_letters"]
    assert len(letters) == 1 and letters[0]["step"] == broken[0] and letters[0]["saga"] == "trip"
    assert letters[0]["attempts"] == 2 and letters[0]["pending"] == pending
    assert "compensation backend is down" in letters[0]["error"] and letters[0]["invocation_id"]
    # state stays consistent with what was undone: only the un-compensated bookings remain
    assert resp.json()["booked"] == [s for s in STEPS[:3] if s not in compensated]


# -- compensations of every form, events, metric, dead letters, idempotency ----------------


LIFO = ["payment", "car", "hotel", "flight"]


async def _until(predicate, timeout: float = 15.0):
    import asyncio
    import time as _time

    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


@pytest.mark.parametrize("comp", ["run", "call", "send", "delayed"])
async def test_every_compensation_form_undoes_lifo_once_with_events_and_metric(restate_env, comp):
    from prometheus_client import CollectorRegistry

    from rea_runtime import events
    from rea_runtime.observability.metrics import Metrics

    seen: list[dict] = []
    steps: list[dict] = []
    metrics = Metrics(CollectorRegistry())
    listeners = {"compensation": [lambda **f: seen.append(f), metrics.on_compensation],
                 "saga_step": [lambda **f: steps.append(f)]}
    for name, fns in listeners.items():
        for fn in fns:
            events.subscribe(name, fn)
    try:
        key, out = await _book(restate_env, fail_at="payment", comp=comp, delay_ms=100)
    finally:
        for name, fns in listeners.items():
            for fn in fns:
                events.unsubscribe(name, fn)
    assert out["compensated"] == LIFO and out["failed"] == []
    undone = await _until(lambda: (u := [s for k, s in effects(key) if k == "compensate"]) and len(u) >= 4 and u)
    if comp == "delayed":
        assert sorted(undone) == sorted(LIFO)  # same delay each: delivery order is the server's
    else:
        assert undone == LIFO  # calls wait; sends to one object key are delivered in order
    assert [(e["step"], e["ok"], e["attempts"]) for e in seen] == [(s, True, 1) for s in LIFO]
    assert [(e["step"], e["outcome"]) for e in steps] == [
        ("flight", "completed"), ("hotel", "completed"), ("car", "completed"), ("payment", "failed")]
    assert metrics.compensations.labels("trip", "run")._value.get() == 4


async def test_real_attempt_count_in_dead_letters(restate_env):
    # A compensation that refuses terminally on its first attempt is not retried: attempts == 1.
    key, out = await _book(restate_env, fail_at="payment", broken=["car"], terminal=["car"], strategy="best_effort")
    assert out["failed"] == ["car"]
    letters = (await restate_env.call("CrashTrip", "letters_of", "trip", key=key)).json()
    assert [(d["step"], d["attempts"], d["kind"]) for d in letters] == [("car", 1, "run")]
    assert [s for k, s in effects(key) if k == "attempt"] == ["car"]


async def test_dead_letters_by_saga_cleared_and_redriven(restate_env):
    key, out = await _book(restate_env, fail_at="payment", comp="call", broken=["hotel"], strategy="best_effort")
    assert out["failed"] == ["hotel"] and out["compensated"] == ["payment", "car", "flight"]
    assert (await restate_env.call("CrashTrip", "letters_of", "other-saga", key=key)).json() == []
    letters = (await restate_env.call("CrashTrip", "letters_of", "trip", key=key)).json()
    assert [(d["step"], d["kind"], d["attempts"], d["target"]) for d in letters] == [
        ("hotel", "call", 1, "CrashUndo/undo")]
    assert "hotel compensation refused" in letters[0]["error"]
    # Still broken: the redrive fails again and the letter counts both attempts.
    left = (await restate_env.call("CrashTrip", "admin_redrive", "trip", key=key)).json()
    assert [(d["step"], d["attempts"]) for d in left] == [("hotel", 2)]
    repair(key)
    left = (await restate_env.call("CrashTrip", "admin_redrive", "trip", key=key)).json()
    assert left == []
    assert [s for k, s in effects(key) if k == "compensate"] == ["payment", "car", "flight", "hotel"]
    # clear: a run compensation dead-lettered, then dropped by hand
    key2, _ = await _book(restate_env, fail_at="payment", broken=["car"], strategy="best_effort")
    assert (await restate_env.call("CrashTrip", "admin_clear", "trip", key=key2)).json() == 1
    assert (await restate_env.call("CrashTrip", "letters_of", "trip", key=key2)).json() == []


async def test_run_compensation_redriven_with_its_function(restate_env):
    key, _ = await _book(restate_env, fail_at="payment", broken=["car"], strategy="best_effort")
    repair(key)
    assert (await restate_env.call("CrashTrip", "admin_redrive", "trip", key=key)).json() == []
    assert [s for k, s in effects(key) if k == "compensate"] == ["payment", "hotel", "flight", "car"]


@pytest.mark.parametrize("comp", ["run", "call"])
async def test_compensation_key_makes_running_one_twice_safe(restate_env, comp):
    """The same order rolled back twice on one object: each compensation runs once."""
    key = restate_env.unique("trip")
    outs = []
    for _ in range(2):
        resp = await restate_env.call("CrashTrip", "book", {"fail_at": "payment", "comp": comp, "order": "o-1"}, key=key)
        assert resp.status_code == 200, resp.text
        outs.append(resp.json())
    assert [o["compensated"] for o in outs] == [LIFO, LIFO]
    assert [s for k, s in effects(key) if k == "compensate"] == LIFO  # not twice
    assert [s for k, s in effects(key) if k == "action"] == ["flight", "hotel", "car", "payment"] * 2
