"""Workflow helpers on a real restate-server under always_replay (every await suspends and the
handler is replayed from the journal): `Deadline`, `bounded`, `request_approval` and
`race_promise`. `with_timeout` and `Status` are covered by `test_orchestration_crash.py`.

Module-level dicts are written only inside runs (or counted on purpose), so what they hold
after a call tells how often an effect really ran, replays notwithstanding.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
import restate
from restate import TerminalError

import rea_runtime
from rea_runtime import run
from rea_runtime.workflow import (
    Deadline,
    LoopLimitExceeded,
    Status,
    TimedOut,
    approval_payload,
    bounded,
    race_promise,
    request_approval,
)

SEEN: dict[str, list[float]] = {}
"""invocation id -> the `Deadline.at` computed on each (re)play of the handler."""
CHECKS: dict[str, list[int]] = {}
"""tag -> the iterations whose check ran (appended inside the run)."""
NOTIFIED: dict[str, list[str]] = {}
"""tag -> the awakeable ids `notify` was given."""


# -- Deadline ------------------------------------------------------------------------------

timing = rea_runtime.Service("Timing", policy="strict")


@timing.handler()
async def deadline(ctx: restate.Context, req: dict) -> dict:
    d = await Deadline.after(ctx, timedelta(seconds=req["delay"]))
    SEEN.setdefault(ctx.request().id, []).append(d.at)
    left = await d.remaining(ctx)
    await d.sleep(ctx)  # a durable timer up to the deadline
    woke = await ctx.time()
    after = await d.remaining(ctx)
    again = Deadline(d.at)  # rebuilt from the plain number, as another handler would
    return {"at": d.at, "left": left.total_seconds(), "woke": woke, "after": after.total_seconds(),
            "again": (await again.remaining(ctx)).total_seconds()}


# -- bounded -------------------------------------------------------------------------------

polling = rea_runtime.Service("Polling", policy="strict")


@polling.handler()
async def poll(ctx: restate.Context, req: dict) -> Any:
    tag, ready_after = req["tag"], req["ready_after"]
    try:
        for i in bounded(req["max"], "poll shipment"):
            shipped = await run(ctx, f"check {i}",
                                lambda i=i: CHECKS.setdefault(tag, []).append(i) or i + 1 >= ready_after)
            if shipped:
                return {"iterations": i + 1}
    except LoopLimitExceeded as err:
        if req.get("catch"):
            return {"gave_up": [err.what, err.max_iterations, err.status_code, err.message]}
        raise
    return "unreachable: bounded raises when the loop does not break"


# -- request_approval ------------------------------------------------------------------------

approvals = rea_runtime.Service("Approvals", policy="strict")


def _notifier(kind: str, tag: str) -> Any:
    def record(awakeable_id: str) -> None:
        NOTIFIED.setdefault(tag, []).append(awakeable_id)

    async def record_async(awakeable_id: str) -> None:
        record(awakeable_id)

    class Receipt:  # what a mail client might hand back: not JSON, and not the helper's business
        pass

    return {
        "sync": record,
        "async": record_async,
        "receipt": lambda aid: (record(aid), Receipt())[1],
        "lambda-async": lambda aid: record_async(aid),
    }[kind]


@approvals.handler()
async def ask(ctx: restate.Context, req: dict) -> dict:
    tag = req["tag"]
    decision = await request_approval(ctx, _notifier(req.get("notify", "sync"), tag),
                                      timedelta(seconds=req.get("timeout", 60)), what=f"refund {tag}")
    return decision.model_dump()


@approvals.handler()
async def decide(ctx: restate.Context, req: dict) -> None:
    ctx.resolve_awakeable(req["id"], approval_payload(req["approved"], req["by"], req.get("comment", "")))


# -- race_promise / Deadline.wait on a workflow's promise -----------------------------------

gate = rea_runtime.Workflow("Gate", policy="strict")
GATE_STATUS = Status()


@gate.main(name="run")
async def gate_run(ctx: restate.WorkflowContext, req: dict) -> Any:
    await GATE_STATUS.update(ctx, "waiting", mode=req["mode"])
    if req["mode"] == "race":
        return await race_promise(ctx, "go", timedelta(seconds=req["timeout"]))
    d = await Deadline.after(ctx, timedelta(seconds=req["timeout"]))
    return await d.wait(ctx, ctx.promise("go"), what="go signal")  # the promise itself, not .value()


@gate.handler(name="open")
async def gate_open(ctx: restate.WorkflowSharedContext, value: Any) -> None:
    await ctx.promise("go").resolve(value)


@gate.handler(name="status")
async def gate_status(ctx: restate.WorkflowSharedContext) -> dict:
    return (await GATE_STATUS.read(ctx)).model_dump()


@gate.handler(name="refuse")
async def gate_refuse(ctx: restate.WorkflowSharedContext, reason: str) -> None:
    await ctx.promise("go").reject(reason, 451)


@pytest.fixture(scope="module")
def restate_options() -> dict:
    return {"always_replay": True}


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return restate.app([timing, polling, approvals, gate])


async def _notified(tag: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while not NOTIFIED.get(tag):
        assert time.monotonic() < deadline, f"nobody was notified for {tag!r}"
        await asyncio.sleep(0.05)
    return NOTIFIED[tag][0]


# -- Deadline ------------------------------------------------------------------------------


async def test_deadline_is_computed_once_and_the_same_on_every_replay(restate_env):
    resp = await restate_env.call("Timing", "deadline", {"delay": 0.5})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    seen = SEEN[resp.headers["x-restate-id"]]
    assert len(seen) >= 4, seen  # entered again after each await: time, time, sleep, time, ...
    assert set(seen) == {out["at"]}  # from the journaled ctx.time(), not a fresh clock read
    assert 0 <= out["left"] <= 0.5
    assert out["woke"] >= out["at"] - 0.01  # the durable timer ran to the deadline (ms resolution)
    assert out["after"] == 0 and out["again"] == 0  # past it: nothing left, never negative


async def test_deadline_wait_returns_the_value_in_time(restate_env):
    key = restate_env.unique("gate")
    await restate_env.call("Gate", "open", {"ok": True}, key=key)  # resolved before anyone waits
    resp = await restate_env.call("Gate", "run", {"mode": "deadline", "timeout": 60}, key=key)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"ok": True}


@pytest.mark.parametrize("mode, message", [
    # a Deadline names its whole span, not the sliver that was left when the wait began
    ("deadline", "go signal did not complete within 0:00:00.300000"),
    ("race", "promise 'go' did not complete within 0:00:00.300000"),
])
async def test_a_wait_that_times_out_names_what_and_how_long(restate_env, mode, message):
    resp = await restate_env.call("Gate", "run", {"mode": mode, "timeout": 0.3}, key=restate_env.unique("gate"))
    assert resp.status_code == 408, resp.text
    assert resp.json()["message"] == message


# -- bounded -------------------------------------------------------------------------------


async def test_bounded_loop_that_breaks_runs_each_iteration_once(restate_env):
    tag = restate_env.unique("poll")
    resp = await restate_env.call("Polling", "poll", {"tag": tag, "max": 5, "ready_after": 3})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"iterations": 3}
    assert CHECKS[tag] == [0, 1, 2]  # replays re-enter the loop but take each check from the journal


async def test_bounded_loop_that_never_breaks_fails_naming_loop_and_limit(restate_env):
    tag = restate_env.unique("poll")
    resp = await restate_env.call("Polling", "poll", {"tag": tag, "max": 3, "ready_after": 10})
    assert resp.status_code == 500, resp.text
    assert resp.json()["message"] == (
        "poll shipment did not finish within 3 iterations; raise the bound or handle the give-up")
    assert CHECKS[tag] == [0, 1, 2]


async def test_loop_limit_exceeded_carries_what_and_the_bound(restate_env):
    tag = restate_env.unique("poll")
    resp = await restate_env.call("Polling", "poll", {"tag": tag, "max": 2, "ready_after": 10, "catch": True})
    assert resp.status_code == 200, resp.text
    what, limit, status, message = resp.json()["gave_up"]
    assert (what, limit, status) == ("poll shipment", 2, 500) and "within 2 iterations" in message


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bounded_refuses_a_bad_bound_at_the_call(bad):
    with pytest.raises(TerminalError) as info:
        bounded(bad, "poll shipment")  # not iterated: the check must not wait for the first next()
    assert info.value.message == f"bounded('poll shipment'): max_iterations must be an int >= 1, got {bad!r}"
    assert not isinstance(info.value, LoopLimitExceeded)


# -- request_approval ------------------------------------------------------------------------


async def _resolve(env: Any, awakeable_id: str, value: Any) -> None:
    async with env.client() as client:
        resp = await client.post(f"/restate/awakeables/{awakeable_id}/resolve", json=value)
    assert resp.status_code < 300, resp.text


@pytest.mark.parametrize("notify,via", [("sync", "ingress"), ("async", "ingress"), ("receipt", "handler")])
async def test_approval_resolved_from_outside_records_who_approved(restate_env, notify, via):
    tag = restate_env.unique("refund")
    pending = asyncio.create_task(restate_env.call("Approvals", "ask", {"tag": tag, "notify": notify}))
    awakeable_id = await _notified(tag)
    if via == "ingress":
        await _resolve(restate_env, awakeable_id, approval_payload(True, "alice", "within policy"))
    else:
        resp = await restate_env.call("Approvals", "decide",
                                      {"id": awakeable_id, "approved": True, "by": "alice", "comment": "within policy"})
        assert resp.status_code == 200, resp.text
    resp = await pending
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"approved": True, "by": "alice", "comment": "within policy"}
    assert NOTIFIED[tag] == [awakeable_id]  # notified once, though the handler was replayed


async def test_approval_rejected_is_returned_with_who_rejected(restate_env):
    tag = restate_env.unique("refund")
    pending = asyncio.create_task(restate_env.call("Approvals", "ask", {"tag": tag}))
    await _resolve(restate_env, await _notified(tag), {"approved": False, "by": "bob"})  # a plain JSON approver
    resp = await pending
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"approved": False, "by": "bob", "comment": ""}


async def test_approval_times_out_when_nobody_answers(restate_env):
    tag = restate_env.unique("refund")
    resp = await restate_env.call("Approvals", "ask", {"tag": tag, "timeout": 0.3})
    assert resp.status_code == 408, resp.text
    assert resp.json()["message"] == f"refund {tag} did not complete within 0:00:00.300000"
    assert len(NOTIFIED[tag]) == 1  # the approver was asked, once


async def test_approval_resolved_with_something_else_says_how_to_resolve_it(restate_env):
    tag = restate_env.unique("refund")
    pending = asyncio.create_task(restate_env.call("Approvals", "ask", {"tag": tag}))
    await _resolve(restate_env, await _notified(tag), {"ok": True})
    resp = await pending
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith(f"refund {tag}: the awakeable was resolved with {{'ok': True}}, not an approval"), message
    assert "approval_payload(approved=..., by=...)" in message


async def test_approval_awakeable_rejected_raises_the_rejection(restate_env):
    tag = restate_env.unique("refund")
    pending = asyncio.create_task(restate_env.call("Approvals", "ask", {"tag": tag}))
    awakeable_id = await _notified(tag)
    async with restate_env.client() as client:
        resp = await client.post(f"/restate/awakeables/{awakeable_id}/reject", content="approver left",
                                 headers={"content-type": "text/plain"})
        assert resp.status_code < 300, resp.text
    resp = await pending
    assert resp.status_code == 500, resp.text
    assert resp.json()["message"] == "approver left"


async def test_approval_notify_lambda_around_an_async_function_is_refused(restate_env):
    tag = restate_env.unique("refund")
    resp = await restate_env.call("Approvals", "ask", {"tag": tag, "notify": "lambda-async"})
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith(f"request_approval(refund {tag}): notify returned a coroutine"), message
    assert "pass the async function itself" in message


# -- race_promise --------------------------------------------------------------------------


async def test_race_promise_returns_the_value_resolved_while_waiting(restate_env):
    key = restate_env.unique("gate")
    pending = asyncio.create_task(restate_env.call("Gate", "run", {"mode": "race", "timeout": 60}, key=key))
    until = time.monotonic() + 20
    while (await restate_env.call("Gate", "status", key=key)).json()["phase"] != "waiting":
        assert time.monotonic() < until, "the workflow never started waiting"
        await asyncio.sleep(0.05)
    resp = await restate_env.call("Gate", "open", "approved-by-carol", key=key)
    assert resp.status_code == 200, resp.text
    resp = await pending
    assert resp.status_code == 200, resp.text
    assert resp.json() == "approved-by-carol"


async def test_race_promise_rejected_surfaces_the_reason(restate_env):
    key = restate_env.unique("gate")
    await restate_env.call("Gate", "refuse", "embargoed destination", key=key)
    resp = await restate_env.call("Gate", "run", {"mode": "race", "timeout": 60}, key=key)
    assert resp.status_code == 451, resp.text
    assert resp.json()["message"] == "embargoed destination"


def test_timed_out_is_terminal_and_408():
    err = TimedOut("refund", timedelta(seconds=5))
    assert isinstance(err, TerminalError) and err.status_code == 408
    assert (err.what, err.timeout, err.message) == ("refund", timedelta(seconds=5), "refund did not complete within 0:00:05")


def test_helpers_are_reachable_from_the_package():
    # a fresh interpreter: `rea_runtime.workflow` must work without importing the submodule first
    code = ("import rea_runtime as r; assert {'saga', 'workflow', 'concurrency'} <= set(r.__all__); "
            "mods = (r.workflow, r.concurrency, r.saga); "
            "missing = [(m.__name__, n) for m in mods for n in m.__all__ if not hasattr(m, n)]; "
            "assert not missing, missing; print(r.workflow.request_approval.__name__, r.concurrency.fan_out.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["request_approval", "fan_out"]
