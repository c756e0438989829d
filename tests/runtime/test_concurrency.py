"""Journaled concurrency on a real restate-server under always_replay: `fan_out` (results in the
order given, errors raised or returned) and `first_success` (a winner among failures, every
error when all fail, losers cancelled or left running). `map_limited` is covered by the crash
tests (`test_orchestration_crash.py`).

Contenders are calls to `Contender/contend`: an immediate result, an immediate terminal error,
or a call held on an awakeable that the test resolves or rejects through the ingress, so the
completion order is chosen by the test, not by the scheduler.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import restate
from restate import TerminalError

import rea_runtime
from rea_runtime import run
from rea_runtime.concurrency import AllFailed, fan_out, first_success, map_limited

HELD: dict[str, dict[str, str]] = {}
"""tag -> {"awakeable": id, "invocation": id} of a held contender (written once, in a run)."""
ENTRIES: dict[str, int] = {}
"""invocation id -> times the racing handler was entered (proves the replays happened)."""

contender = rea_runtime.Service("Contender", policy="strict")


@contender.handler()
async def contend(ctx: restate.Context, spec: dict) -> Any:
    if "ok" in spec:
        return spec["ok"] * spec["ok"]
    if "fail" in spec:
        raise TerminalError(spec["fail"], status_code=spec.get("code", 500))
    tag = spec["hold"]
    awakeable_id, future = ctx.awakeable()
    invocation_id = ctx.request().id
    await run(ctx, "publish", lambda: HELD.__setitem__(tag, {"awakeable": awakeable_id,
                                                             "invocation": invocation_id}))
    return await future


racer = rea_runtime.Service("Racer", policy="strict")


def _enter(ctx: Any) -> None:
    inv = ctx.request().id
    ENTRIES[inv] = ENTRIES.get(inv, 0) + 1


def _out(value: Any) -> Any:
    return [value.status_code, value.message] if isinstance(value, TerminalError) else value


@racer.handler()
async def fan(ctx: restate.Context, req: dict) -> dict:
    _enter(ctx)
    futures = [ctx.service_call(contend, spec) for spec in req["specs"]]
    try:
        results = await fan_out(futures, return_exceptions=req.get("return_exceptions", False),
                                fail_fast=req.get("fail_fast", False))
    except TerminalError as err:
        return {"raised": _out(err), "all_completed": [f.is_completed() for f in futures]}
    return {"results": [_out(r) for r in results]}


@racer.handler()
async def mapped(ctx: restate.Context, req: dict) -> dict:
    _enter(ctx)
    try:
        results = await map_limited(req["specs"], lambda spec: ctx.service_call(contend, spec), limit=req["limit"])
    except TerminalError as err:
        return {"raised": _out(err)}
    return {"results": results}


@racer.handler()
async def fan_coroutine(ctx: restate.Context) -> str:
    async def not_durable() -> int:
        return 1

    await fan_out([not_durable()])  # type: ignore[list-item]
    return "unreachable"


@racer.handler()
async def race(ctx: restate.Context, req: dict) -> dict:
    _enter(ctx)
    futures = [ctx.service_call(contend, spec) for spec in req["specs"]]
    ids = [await f.invocation_id() for f in futures]
    try:
        winner = await first_success(*futures, cancel_losers=req.get("cancel_losers", True))
    except AllFailed as err:
        return {"all_failed": _out(err), "errors": [_out(e) for e in err.errors], "ids": ids}
    return {"winner": winner, "ids": ids}


@racer.handler()
async def race_nobody(ctx: restate.Context) -> str:
    await first_success()
    return "unreachable"


@pytest.fixture(scope="module")
def restate_options() -> dict:
    return {"always_replay": True}


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return restate.app([contender, racer])


# -- helpers -------------------------------------------------------------------------------


async def _held(tag: str, timeout: float = 20.0) -> dict[str, str]:
    """The held contender's ids, once it has published them."""
    deadline = time.monotonic() + timeout
    while tag not in HELD:
        assert time.monotonic() < deadline, f"contender {tag!r} never started"
        await asyncio.sleep(0.05)
    return HELD[tag]


async def _resolve(env: Any, awakeable_id: str, value: Any) -> None:
    async with env.client() as client:
        resp = await client.post(f"/restate/awakeables/{awakeable_id}/resolve", json=value)
    assert resp.status_code < 300, resp.text


async def _reject(env: Any, awakeable_id: str, reason: str) -> None:
    async with env.client() as client:
        resp = await client.post(f"/restate/awakeables/{awakeable_id}/reject", content=reason,
                                 headers={"content-type": "text/plain"})
    assert resp.status_code < 300, resp.text


def _completed(row: dict) -> bool:
    return row["status"] == "completed"


# -- fan_out -------------------------------------------------------------------------------


async def test_fan_out_returns_results_in_the_order_given_not_of_completion(restate_env):
    tag = restate_env.unique("hold")
    pending = asyncio.create_task(restate_env.call("Racer", "fan", {"specs": [{"hold": tag}, {"ok": 3}, {"ok": 4}]}))
    held = await _held(tag)  # the later calls have finished; the first is still held
    await _resolve(restate_env, held["awakeable"], "late")
    resp = await pending
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"results": ["late", 9, 16]}
    assert ENTRIES[resp.headers["x-restate-id"]] >= 3  # replayed at each suspension, same results


async def test_fan_out_raises_the_first_error_in_order_after_all_finished(restate_env):
    tag = restate_env.unique("hold")
    specs = [{"ok": 2}, {"hold": tag}, {"fail": "second declined", "code": 402}, {"fail": "third", "code": 409}]
    pending = asyncio.create_task(restate_env.call("Racer", "fan", {"specs": specs}))
    held = await _held(tag)
    # the held call fails last in time, yet it is the first failure in the order given
    await _reject(restate_env, held["awakeable"], "held one rejected")
    resp = await pending
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["raised"][1] == "held one rejected", out
    assert out["all_completed"] == [True, True, True, True]  # raised only once every call finished


async def test_fan_out_return_exceptions_keeps_each_error_in_place(restate_env):
    specs = [{"ok": 2}, {"fail": "declined", "code": 402}, {"ok": 5}, {"fail": "gone", "code": 410}]
    resp = await restate_env.call("Racer", "fan", {"specs": specs, "return_exceptions": True})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"results": [4, [402, "declined"], 25, [410, "gone"]]}


async def test_fan_out_of_nothing_is_empty(restate_env):
    resp = await restate_env.call("Racer", "fan", {"specs": []})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"results": []}


async def test_fan_out_refuses_a_coroutine_and_says_what_to_pass(restate_env):
    resp = await restate_env.call("Racer", "fan_coroutine")
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith("rea_runtime.fan_out got a coroutine, not a durable future"), message
    assert "ctx.service_call" in message and "asyncio tasks are not journaled" in message


async def _cancelled(env: Any, tag: str) -> dict:
    held = await _held(tag)
    row = await env.wait_for(held["invocation"], _completed)
    assert row["completion_result"] == "failure" and "cancel" in row["completion_failure"].lower(), row
    return row


async def test_fan_out_fail_fast_raises_the_first_failure_and_cancels_the_rest(restate_env):
    tag = restate_env.unique("hold")
    specs = [{"hold": tag}, {"ok": 2}, {"fail": "declined", "code": 402}]
    # never released: without fail_fast this would wait for the held call forever
    resp = await restate_env.call("Racer", "fan", {"specs": specs, "fail_fast": True})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["raised"] == [402, "declined"]
    # raised at once: the held call had not completed (the quick one may or may not have)
    assert (out["all_completed"][0], out["all_completed"][2]) == (False, True)
    await _cancelled(restate_env, tag)
    assert ENTRIES[resp.headers["x-restate-id"]] >= 2


async def test_fan_out_fail_fast_without_failure_returns_all_in_order(restate_env):
    resp = await restate_env.call("Racer", "fan", {"specs": [{"ok": 2}, {"ok": 3}], "fail_fast": True})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"results": [4, 9]}


async def test_map_limited_error_cancels_the_calls_in_flight(restate_env):
    tag = restate_env.unique("hold")
    specs = [{"hold": tag}, {"fail": "broken item", "code": 422}, {"ok": 3}, {"ok": 4}]
    resp = await restate_env.call("Racer", "mapped", {"specs": specs, "limit": 2})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"raised": [422, "broken item"]}
    await _cancelled(restate_env, tag)


async def test_map_limited_results_in_item_order(restate_env):
    resp = await restate_env.call("Racer", "mapped", {"specs": [{"ok": n} for n in range(5)], "limit": 2})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"results": [n * n for n in range(5)]}


# -- first_success ---------------------------------------------------------------------------


async def test_first_success_skips_failures_and_returns_the_winner(restate_env):
    specs = [{"fail": "a down", "code": 503}, {"fail": "b down", "code": 502}, {"ok": 7}]
    resp = await restate_env.call("Racer", "race", {"specs": specs})
    assert resp.status_code == 200, resp.text
    assert resp.json()["winner"] == 49
    assert ENTRIES[resp.headers["x-restate-id"]] >= 3


async def test_first_success_cancels_the_losers(restate_env):
    tag = restate_env.unique("hold")
    # the held contender is listed first: the winner is the first to *succeed*, not the first given
    resp = await restate_env.call("Racer", "race", {"specs": [{"hold": tag}, {"fail": "x"}, {"ok": 3}]})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["winner"] == 9
    row = await restate_env.wait_for(out["ids"][0], _completed)
    assert row["completion_result"] == "failure", row
    assert "cancel" in row["completion_failure"].lower(), row


async def test_first_success_can_leave_the_losers_running(restate_env):
    tag = restate_env.unique("hold")
    resp = await restate_env.call("Racer", "race", {"specs": [{"hold": tag}, {"ok": 3}], "cancel_losers": False})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["winner"] == 9
    held = await _held(tag)  # not cancelled: it starts, waits, and finishes when released
    assert held["invocation"] == out["ids"][0]
    await _resolve(restate_env, held["awakeable"], "finished anyway")
    row = await restate_env.wait_for(out["ids"][0], _completed)
    assert row["completion_result"] == "success", row


async def test_first_success_all_failing_raises_all_failed_with_each_error_in_order(restate_env):
    tag = restate_env.unique("hold")
    specs = [{"hold": tag}, {"fail": "b down", "code": 502}, {"fail": "c down", "code": 503}]
    pending = asyncio.create_task(restate_env.call("Racer", "race", {"specs": specs}))
    held = await _held(tag)
    await _reject(restate_env, held["awakeable"], "a down")  # fails last in time, listed first
    resp = await pending
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert [e[1] for e in out["errors"]] == ["a down", "b down", "c down"]
    assert [e[0] for e in out["errors"]][1:] == [502, 503]
    status, message = out["all_failed"]
    assert status == 500
    assert message == "every contender failed: #0: a down; #1: b down; #2: c down"


async def test_first_success_of_nothing_is_a_misuse(restate_env):
    resp = await restate_env.call("Racer", "race_nobody")
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith("rea_runtime.first_success needs at least one contender"), message
