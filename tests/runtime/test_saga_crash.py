"""Sagas under real crashes: the service process SIGKILLs itself mid-saga, is restarted on the
same port, and the real restate-server retries into it. Side effects are counted in sqlite."""

from __future__ import annotations

import asyncio
import time

import pytest

from .conftest import effects, kills

STEPS = ["flight", "hotel", "car", "payment"]
LIFO = ["payment", "car", "hotel", "flight"]


@pytest.fixture
def env(crash_env):
    return crash_env


def book(env, key: str, **req) -> dict:
    async def go() -> dict:
        resp = await env.call("CrashTrip", "book", req, key=key)
        assert resp.status_code == 200, resp.text
        return resp.json()

    return asyncio.run(go())


def describe(env, key: str) -> dict:
    resp = asyncio.run(env.call("CrashTrip", "describe", key=key))
    assert resp.status_code == 200, resp.text
    return resp.json()


KILL_POINTS = [
    [],  # no crash: the baseline the crashes must not change
    ["action:hotel"],  # forward, after one step
    ["action:payment"],  # forward, the failing step itself
    ["compensate:payment"],  # first compensation
    ["compensate:hotel"],  # mid-compensation
    ["compensate:flight"],  # last compensation
    ["action:car", "compensate:car"],  # two crashes, one in each direction
]


@pytest.mark.parametrize("kill_at", KILL_POINTS, ids=lambda k: "+".join(k) or "no-crash")
def test_rollback_survives_a_crash(env, db_path, kill_at):
    key = env.unique("trip")
    before = env.app_server.restarts
    out = book(env, key, fail_at="payment", kill_at=kill_at)

    assert kills(db_path, key) == kill_at  # each requested crash really happened, once
    assert env.app_server.restarts - before == len(kill_at)
    ran = effects(db_path, key)
    forward = [s for k, s in ran if k == "action"]
    undone = [s for k, s in ran if k == "compensate"]
    assert forward == STEPS  # no forward step ran twice, none was skipped
    assert undone == LIFO  # every compensation exactly once, last-in first-out
    assert ran.index(("compensate", "payment")) > ran.index(("action", "payment"))
    assert out["ok"] is False and out["step"] == "payment"
    assert out["compensated"] == LIFO and out["failed"] == [] and out["skipped"] == []
    assert "payment declined" in out["error"] and "compensated: payment, car, hotel, flight" in out["error"]
    assert describe(env, key) == {"booked": [], "status": "rolled_back", "dead_letters": []}


@pytest.mark.parametrize("kill_at", [[], ["action:car"]], ids=["no-crash", "action:car"])
def test_success_runs_no_compensation(env, db_path, kill_at):
    key = env.unique("trip")
    assert book(env, key, kill_at=kill_at) == {"ok": True}
    assert effects(db_path, key) == [("action", s) for s in STEPS]
    assert describe(env, key) == {"booked": STEPS, "status": "booked", "dead_letters": []}


CALL_KILL_POINTS = [
    [],
    ["compensate:payment"],  # inside the first compensation's callee
    ["compensate:car"],  # after the first call completed
    ["compensate:hotel"],  # mid-rollback: after two calls completed, before the third's effect
    ["compensate:flight"],  # the last one
    ["action:car", "compensate:car"],  # a crash forward and one in the rollback
]


@pytest.mark.parametrize("comp", ["call", "send", "delayed"])
@pytest.mark.parametrize("kill_at", CALL_KILL_POINTS, ids=lambda k: "+".join(k) or "no-crash")
def test_call_and_send_compensations_survive_crashes(env, db_path, comp, kill_at):
    """Compensations that are durable calls / sends / delayed sends to another handler: each undo
    exactly once, LIFO (delayed sends: in the server's delivery order), whichever compensation
    the process dies in."""
    key = env.unique("trip")
    before = env.app_server.restarts
    out = book(env, key, fail_at="payment", kill_at=kill_at, comp=comp)
    deadline = time.monotonic() + 20
    while len([1 for k, _ in effects(db_path, key) if k == "compensate"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)  # sends complete after the saga returns
    time.sleep(0.3)  # and nothing more arrives after that
    assert kills(db_path, key) == kill_at
    assert env.app_server.restarts - before == len(kill_at)
    ran = effects(db_path, key)
    assert [s for k, s in ran if k == "action"] == STEPS
    undone = [s for k, s in ran if k == "compensate"]
    if comp == "delayed":  # the same delay each: delivery order is the server's, each exactly once
        assert sorted(undone) == sorted(LIFO)
    else:
        assert undone == LIFO
    assert out["compensated"] == LIFO and out["failed"] == [] and out["skipped"] == []
    assert describe(env, key) == {"booked": [], "status": "rolled_back", "dead_letters": []}
