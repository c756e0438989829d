"""Saga misuse is refused where it is written, as a terminal `SagaMisuse` that says what to
pass instead: never later in the rollback (where it used to fail with an error Restate retries
forever, nothing undone), and never after part of the saga already ran or was registered."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
import restate

import rea_runtime
from rea_runtime.saga import Retry, Saga, SagaMisuse, Strategy

from ._terminal import terminal_failure

# -- arguments, checked at construction ---------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    ({"max_attempts": 0}, "max_attempts is 0; fix: a whole number of attempts, 1 or more"),
    ({"max_attempts": -1}, "max_attempts is -1"),
    ({"max_attempts": 2.5}, "max_attempts is 2.5"),
    ({"max_attempts": "3"}, "max_attempts is '3'"),
    ({"max_attempts": True}, "max_attempts is True"),
    ({"initial_interval": 1}, "initial_interval is int 1; fix: a datetime.timedelta"),
    ({"max_interval": None}, "max_interval is NoneType None; fix: a datetime.timedelta"),
    ({"initial_interval": timedelta(seconds=-1)}, "initial_interval is -0:00:01; fix: 0 or a positive duration"),
    ({"initial_interval": timedelta(seconds=20)}, "max_interval (0:00:10) is below initial_interval (0:00:20)"),
    ({"factor": math.nan}, "factor is nan; fix: a finite number >= 1"),
    ({"factor": math.inf}, "factor is inf"),
    ({"factor": 0.5}, "factor is 0.5"),
    ({"factor": "2"}, "factor is '2'"),
])
def test_retry_refuses_each_bad_field(kwargs: dict, message: str) -> None:
    with pytest.raises(SagaMisuse, match=f"^Retry: {_re(message)}"):
        Retry(**kwargs)


def test_retry_accepts_what_it_documents() -> None:
    Retry(max_attempts=1, initial_interval=timedelta(0), max_interval=timedelta(0), factor=1)
    Retry(max_attempts=10, factor=1e308)  # huge factors are capped by max_interval, never overflow


@pytest.mark.parametrize("kwargs,message", [
    ({"strategy": "loud"}, "Saga('t'): strategy 'loud' is not one of: 'all', 'completed', 'best_effort', "
                           "'until_first_success'; fix: one of these, or Strategy.ALL"),
    ({"strategy": None}, "Saga('t'): strategy None is not one of"),
    ({"retry": 5}, "Saga('t'): retry is int 5, not a Retry; fix: retry=Retry(max_attempts=5)"),
    ({"retry": {"max_attempts": 5}}, "Saga('t'): retry is dict {'max_attempts': 5}, not a Retry; fix: retry=Retry("),
    ({"dead_letter": "no"}, "Saga('t'): dead_letter is 'no'; fix: True or False"),
])
def test_saga_refuses_bad_arguments_at_construction(kwargs: dict, message: str) -> None:
    kwargs.setdefault("dead_letter", False)
    with pytest.raises(SagaMisuse, match=f"^{_re(message)}"):
        Saga(object(), "t", **kwargs)


@pytest.mark.parametrize("name", [None, "", 5])
def test_saga_refuses_a_name_that_is_no_text(name: Any) -> None:
    with pytest.raises(SagaMisuse, match=f"^Saga: name is {_re(repr(name))}; fix: a non-empty str"):
        Saga(object(), name, dead_letter=False)


def test_strategy_values_and_members_are_accepted() -> None:
    assert Saga(object(), "t", strategy="best_effort", dead_letter=False).strategy is Strategy.BEST_EFFORT
    assert Saga(object(), "t", strategy=Strategy.COMPLETED, dead_letter=False).strategy is Strategy.COMPLETED


undo_target = rea_runtime.Service("SagaMisuseUndoTarget")


@undo_target.handler()
async def cancel(ctx: restate.Context, ref: str) -> None:
    return None


refunds = rea_runtime.VirtualObject("SagaMisuseRefunds")


@refunds.handler()
async def refund(ctx: restate.ObjectContext, ref: str) -> None:
    return None


@pytest.mark.parametrize("make,message", [
    (lambda: rea_runtime.saga.call(print, 1), "saga.call: target must be a Restate handler (a function decorated "
                                              "with @service.handler() and the like), got print; fix:"),
    (lambda: rea_runtime.saga.send(lambda ref: None), "saga.send: target must be a Restate handler"),
    (lambda: rea_runtime.saga.call(refund, "r"), "saga.call: SagaMisuseRefunds/refund is an object handler; fix: "
                                                 "pass key=..."),
    (lambda: rea_runtime.saga.call(cancel, "r", key="k"), "saga.call: SagaMisuseUndoTarget/cancel is a service handler: it "
                                                          "takes no key; fix: drop key="),
    (lambda: rea_runtime.saga.call(refund, "r", key=7), "saga.call: key is int 7; fix:"),
    (lambda: rea_runtime.saga.send(cancel, "r", delay=5), "saga.send: delay is int 5; fix: a datetime.timedelta"),
    (lambda: rea_runtime.saga.send(cancel, "r", delay=timedelta(seconds=-1)),
     "saga.send: delay must be positive, got -0:00:01"),
])
def test_call_and_send_refuse_what_the_rollback_could_not_use(make: Any, message: str) -> None:
    with pytest.raises(SagaMisuse, match=f"^{_re(message)}"):
        make()


def test_call_and_send_take_handlers() -> None:
    assert rea_runtime.saga.call(refund, "r", key="order-1").key == "order-1"
    assert rea_runtime.saga.send(cancel, "r", delay=timedelta(minutes=5)).send


def _re(text: str) -> str:
    import re

    return re.escape(text)


# -- in a handler: terminal at once, on a real server ----------------------------------------

UNDONE: list[str] = []

trips = rea_runtime.VirtualObject("SagaMisuseTrips")


@trips.handler()
async def bad_strategy(ctx: restate.ObjectContext) -> str:
    key = ctx.key()
    async with Saga(ctx, "t", strategy="loud") as saga:
        await saga.step("a", lambda: 1, compensate=lambda: UNDONE.append(key))
    return "ran"


@trips.handler()
async def retry_as_int(ctx: restate.ObjectContext) -> str:
    key = ctx.key()
    async with Saga(ctx, "t", retry=5) as saga:  # type: ignore[arg-type]
        await saga.step("a", lambda: 1, compensate=lambda: UNDONE.append(key))
        raise restate.TerminalError("payment declined")
    return "ran"


steps = rea_runtime.Service("SagaMisuseSteps", policy="strict")


async def _book() -> str:
    return "booked"


def _bad_step(saga: Saga, how: str, undo: Any) -> Any:
    """One misused `step`, each a mistake `run` refuses: its compensation must not be registered."""
    if how == "neither":
        return saga.step("b", compensate=undo)
    if how == "both":
        return saga.step("b", action=lambda: 1, call=lambda: None, compensate=undo)  # type: ignore[arg-type,return-value]
    if how == "call_made_early":
        return saga.step("b", call="a call future", compensate=undo)  # type: ignore[arg-type]
    if how == "max_attempts_0":
        return saga.step("b", action=lambda: 1, compensate=undo, max_attempts=0)
    if how == "no_name":
        return saga.step("", action=lambda: 1, compensate=undo)
    return saga.step("b", action=_book(), compensate=undo)  # type: ignore[arg-type] # a coroutine: REA208


STEP_UNDONE: dict[str, list[str]] = {}
"""Request id -> the compensations its rollback ran (REA208 under strict fails the invocation
even though the handler catches it, so this is seen here, not in the response)."""


@steps.handler()
async def misused_step(ctx: restate.Context, req: dict) -> dict:
    how = req["how"]
    undone = STEP_UNDONE.setdefault(req["id"], [])
    try:
        async with Saga(ctx, "t", dead_letter=False) as saga:
            await saga.step("a", action=lambda: 1, compensate=lambda: undone.append("a"))
            await _bad_step(saga, how, lambda: undone.append("b"))
    except rea_runtime.saga.SagaFailed as err:
        return {"undone": undone, "cause": type(err.cause).__name__, "error": err.cause.message}
    return {"undone": undone, "cause": None, "error": ""}


RAN: dict[str, list[str]] = {}
"""Request id -> what its actions and compensations did, in order."""


def _did(rid: str, what: str) -> Any:
    return lambda *_: RAN.setdefault(rid, []).append(what)


async def _undo_async(rid: str) -> None:
    RAN.setdefault(rid, []).append("undo b")


@steps.handler()
async def after_the_block(ctx: restate.Context, req: dict) -> str:
    rid, how = req["id"], req["how"]
    saga = Saga(ctx, "t", dead_letter=False)
    try:
        async with saga:
            await saga.step("a", action=_did(rid, "a"), compensate=_did(rid, "undo a"))
            if how == "rolled_back":
                raise restate.TerminalError("payment declined")
    except rea_runtime.saga.SagaFailed:
        pass
    if how == "reentered":
        async with saga:
            pass
    await saga.step("b", action=_did(rid, "b"), compensate=_did(rid, "undo b"))  # never undone: refused
    return "ran b"


@steps.handler()
async def compensate_twice(ctx: restate.Context, req: dict) -> dict:
    rid = req["id"]
    error = restate.TerminalError("payment declined")
    try:
        async with Saga(ctx, "t", dead_letter=False) as saga:
            await saga.step("a", action=_did(rid, "a"), compensate=_did(rid, "undo a"))
            first = await saga.compensate(error)
            same = await saga.compensate(error) is first
            if req["then"] == "raise":  # the block's own rollback: the outcome of the first, nothing again
                raise error
    except rea_runtime.saga.SagaFailed as err:
        return {"ran": RAN[rid], "error": err.message, "same": same}
    return {"ran": RAN[rid], "error": "", "same": same}


@steps.handler()
async def lambda_around_async(ctx: restate.Context, req: dict) -> dict:
    rid = req["id"]
    try:
        async with Saga(ctx, "t", dead_letter=False, retry=Retry(max_attempts=1)) as saga:
            await saga.step("b", action=_did(rid, "b"), compensate=lambda: _undo_async(rid))
            raise restate.TerminalError("payment declined")
    except rea_runtime.saga.SagaFailed as err:
        return {"ran": RAN.get(rid, []), "error": err.message, "errors": err.outcome.errors}
    return {}


def _backend_down() -> None:
    raise RuntimeError("backend down")


@steps.handler()
async def huge_factor(ctx: restate.Context) -> dict:
    retry = Retry(max_attempts=3, initial_interval=timedelta(milliseconds=1), max_interval=timedelta(milliseconds=20),
                  factor=1e308)
    try:
        async with Saga(ctx, "t", dead_letter=False, retry=retry) as saga:
            await saga.step("a", action=lambda: 1, compensate=_backend_down)
            raise restate.TerminalError("payment declined")
    except rea_runtime.saga.SagaFailed as err:
        return err.outcome.errors
    return {}


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return restate.app([trips, steps])


async def test_a_huge_factor_is_capped_by_max_interval(restate_env) -> None:
    """The back-off grows to max_interval and stays there (it overflowed timedelta, retried forever)."""
    resp = await restate_env.call("SagaMisuseSteps", "huge_factor")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"a": "RuntimeError: backend down (gave up after 3 attempts)"}


@pytest.mark.parametrize("how,reason", [
    ("completed", "its `async with` block ended"),
    ("rolled_back", "its `async with` block ended"),
    ("reentered", "its `async with` block ended"),
])
async def test_a_finished_saga_takes_no_more_steps(restate_env, how: str, reason: str) -> None:
    rid = restate_env.unique()
    failure = await terminal_failure(restate_env, "SagaMisuseSteps", "after_the_block", {"how": how, "id": rid})
    if how == "reentered":
        assert f"saga 't' already finished ({reason}); fix: a new Saga" in failure, failure
    else:
        assert (f"saga 't': step 'b' comes after the saga finished ({reason}): it would run, but no rollback "
                f"would ever undo it; fix: run it inside the `async with` block, or in a new Saga") in failure, failure
    assert RAN[rid] == (["a", "undo a"] if how == "rolled_back" else ["a"])  # b never ran


@pytest.mark.parametrize("then", ["return", "raise"])
async def test_compensate_runs_each_compensation_once(restate_env, then: str) -> None:
    rid = restate_env.unique()
    resp = await restate_env.call("SagaMisuseSteps", "compensate_twice", {"id": rid, "then": then})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["ran"] == ["a", "undo a"] and out["same"]
    assert ("rolled back; compensated: a" in out["error"]) == (then == "raise"), out


async def test_a_lambda_around_an_async_compensation_names_the_fix(restate_env) -> None:
    rid = restate_env.unique()
    resp = await restate_env.call("SagaMisuseSteps", "lambda_around_async", {"id": rid})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["ran"] == ["b"]  # the async undo never ran, and the outcome says why
    error = out["errors"]["b"]
    assert "returned the coroutine _undo_async(...) without awaiting it, so nothing was undone" in error, error
    assert "fix: pass the async function itself (compensate=_undo_async, not a lambda around it" in error
    assert f"failed (not dead-lettered: dead_letter=False): b ({error})" in out["error"], out


@pytest.mark.parametrize("how,message", [
    ("neither", "saga step 'b': pass exactly one of action= (a run) or call= (a durable call), got neither"),
    ("both", "saga step 'b': pass exactly one of action= (a run) or call= (a durable call), got both"),
    ("call_made_early", "saga step 'b': call= must be a function that makes the durable call, got str"),
    ("max_attempts_0", "saga step 'b': max_attempts is 0; fix: a whole number of attempts, 1 or more"),
    ("no_name", "saga 't': a step name is ''; fix: a non-empty str"),
    ("coroutine", "REA208"),
])
async def test_a_refused_step_registers_no_compensation(restate_env, how: str, message: str) -> None:
    rid = restate_env.unique()
    resp = await restate_env.call("SagaMisuseSteps", "misused_step", {"how": how, "id": rid})
    if how == "coroutine":
        assert resp.status_code == 500 and message in resp.text, resp.text
    else:
        assert resp.status_code == 200, resp.text
        assert message in resp.json()["error"], resp.json()
    assert STEP_UNDONE[rid] == ["a"]  # the step before is undone; the refused one has nothing to undo


@pytest.mark.parametrize("handler,message", [
    ("bad_strategy", "strategy 'loud' is not one of: 'all', 'completed'"),
    ("retry_as_int", "retry is int 5, not a Retry; fix: retry=Retry(max_attempts=5)"),
])
async def test_bad_arguments_in_a_handler_fail_it_terminally(restate_env, handler: str, message: str) -> None:
    key = restate_env.unique()
    failure = await terminal_failure(restate_env, "SagaMisuseTrips", handler, key=key)
    assert message in failure, failure
    assert key not in UNDONE  # refused before any step: nothing ran, nothing to undo
