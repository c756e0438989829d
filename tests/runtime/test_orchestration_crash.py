"""A workflow waiting on a durable promise, and a bounded fan-out of calls, across a SIGKILL of
the service process: nothing before the crash runs again, nothing after it is lost."""

from __future__ import annotations

import time

import pytest

from .conftest import effects, kills, work_effects


async def _poll(env, service: str, handler: str, key: str, predicate, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        resp = await env.call(service, handler, key=key)
        if resp.status_code == 200:
            last = resp.json()
            if predicate(last):
                return last
        await __import__("asyncio").sleep(0.05)
    raise AssertionError(f"{service}/{key}/{handler} never matched; last: {last}")


async def test_workflow_waits_on_a_promise_across_a_kill(crash_env, db_path):
    key = crash_env.unique("wf")
    await crash_env.send("CrashWait", "run", {"timeout": 60}, key=key)
    await _poll(crash_env, "CrashWait", "status", key, lambda s: s["phase"] == "waiting")
    before = crash_env.app_server.restarts
    crash_env.app_server.restart()  # SIGKILL while the workflow is blocked on the promise
    assert crash_env.app_server.restarts == before + 1
    resp = await crash_env.call("CrashWait", "approve", "alice", key=key)
    assert resp.status_code == 200, resp.text
    done = await _poll(crash_env, "CrashWait", "status", key, lambda s: s["phase"] == "done")
    assert done["detail"] == {"approved": True, "by": "alice"}
    assert effects(db_path, key) == [("action", "before-wait"), ("action", "after-wait")]


async def test_workflow_promise_times_out_durably(crash_env, db_path):
    key = crash_env.unique("wf")
    resp = await crash_env.call("CrashWait", "run", {"timeout": 0.3}, key=key)
    assert resp.status_code == 408 and "approval did not complete within" in resp.text, resp.text
    assert effects(db_path, key) == [("action", "before-wait")]


@pytest.mark.parametrize("kill_at", [[], ["work:1"], ["work:4"], ["work:2", "action:fan-in"]],
                         ids=lambda k: "+".join(k) or "no-crash")
async def test_bounded_fan_out_survives_a_kill(crash_env, db_path, kill_at):
    key = crash_env.unique("fan")
    before = crash_env.app_server.restarts
    resp = await crash_env.call("CrashFan", "fan_in", {"key": key, "n": 6, "limit": 2, "kill_at": kill_at})
    assert resp.status_code == 200, resp.text
    assert resp.json() == [i * i for i in range(6)]  # fan-in keeps the input order
    assert kills(db_path, key) == kill_at and crash_env.app_server.restarts - before == len(kill_at)
    ran = effects(db_path, key)
    by_step: dict[str, list[int]] = {}
    for step, pid in work_effects(db_path, key):
        by_step.setdefault(step, []).append(pid)
    assert sorted(by_step) == [str(i) for i in range(6)]  # every call ran; none was lost
    # A run body that finished its effect but not its journal entry when the process died runs
    # again after the restart (Restate's at-least-once for run bodies): with limit=2, at most the
    # one call in flight beside the killed one, and only across the crash (a new process).
    repeated = {step: pids for step, pids in by_step.items() if len(pids) > 1}
    assert all(len(pids) == 2 and pids[0] != pids[1] for pids in repeated.values()), repeated
    assert len(repeated) <= len(kill_at), repeated  # none at all without a crash
    assert ran[-1] == ("action", "fan-in") and ran.count(("action", "fan-in")) == 1


@pytest.mark.parametrize("helper", ["fan_out", "map_limited"])
@pytest.mark.parametrize("kill_at", [[], ["work:1"], ["action:after-failure"]], ids=lambda k: "+".join(k) or "no-crash")
async def test_fail_fast_cancels_the_slow_call_across_a_kill(crash_env, db_path, helper, kill_at):
    """`fan_out(fail_fast=True)` / `map_limited`: item 1 fails, so slow item 0 is cancelled
    before its effect, whichever point the process dies at; the failure is raised once."""
    key = crash_env.unique("ff")
    before = crash_env.app_server.restarts
    resp = await crash_env.call("CrashFan", "fail_fast", {"key": key, "helper": helper, "slow_ms": 60_000,
                                                          "kill_at": kill_at})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"raised": "item 1 failed"}
    assert kills(db_path, key) == kill_at and crash_env.app_server.restarts - before == len(kill_at)
    # (one invocation; its "started" run may repeat if a kill lands mid-run: at-least-once).
    # Item 1 fails only once item 0 has recorded its start (`after_slow_start`): whatever the
    # load, the failure meets item 0 in its sleep, and cancels it there.
    started = sorted({step for kind, step in effects(db_path, key) if kind == "started"})
    assert len(started) == 1 and started[0].startswith("0:"), started
    for s in started:
        row = await crash_env.wait_for(s[2:], lambda r: r["status"] == "completed")
        assert row["completion_result"] == "failure" and "cancel" in row["completion_failure"].lower(), row
    steps = [s for s, _ in work_effects(db_path, key)]
    assert "0" not in steps  # cancelled during its sleep, never ran
    assert steps.count("1") == 1
    assert effects(db_path, key).count(("action", "after-failure")) == 1
