"""The SDK-misuse guards (REA207, REA208, REA210, REA402) on a real restate-server, per policy.

strict: the violation fails the invocation at once, naming the rule and the `file:line`;
warn: one structlog warning names it and the SDK behaves as it would without rea; disabled:
nothing is logged. One deployment serves the module (unique services per policy).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
import restate
import structlog

import rea_runtime
from rea_lint.catalog import RULES

from ._markers import where

HERE = os.path.abspath(__file__)
POLICIES = ("strict", "warn", "disabled")
ONCE = restate.RunOptions(max_attempts=1)

# --- the targets of calls ---------------------------------------------------------------------

inbox = restate.VirtualObject("MisuseInbox")


@inbox.handler()
async def deliver(ctx: restate.ObjectContext, message: str) -> str:
    return message


plain = restate.Service("MisusePlain")


@plain.handler()
async def echo(ctx: restate.Context, message: str) -> str:
    return message


async def trigger() -> str:
    return "triggered"


# --- violating handler bodies ----------------------------------------------------------------


async def coroutine_action(ctx: restate.Context) -> str:
    return await ctx.run_typed("trigger", trigger(), ONCE)  # <- REA208.ctx


async def helper_action(ctx: restate.Context) -> str:
    return await rea_runtime.run(ctx, "trigger", trigger(), max_attempts=1)  # <- REA208.helper


async def wrong_kind_call(ctx: restate.Context) -> str:
    ctx.service_send(deliver, "hello")  # <- REA210
    return "sent"


async def right_kind_calls(ctx: restate.Context) -> str:
    ctx.object_send(deliver, key="k", arg="hello")
    return await ctx.service_call(echo, "hello")


async def bad_input(ctx: restate.Context, n: int) -> int:
    if n < 0:
        raise ValueError("n must not be negative")  # <- REA402
    return n


async def wait_awakeable(ctx: restate.ObjectContext) -> str:
    wake_id, wake = ctx.awakeable()
    ctx.resolve_awakeable(wake_id, "answered")  # answered at once, so a warned handler completes
    return await wake  # <- REA207.await


async def select_awakeable(ctx: restate.ObjectContext) -> str:
    wake_id, wake = ctx.awakeable()
    ctx.resolve_awakeable(wake_id, "answered")
    match await restate.select(answer=wake, timeout=ctx.sleep(timedelta(seconds=30))):  # <- REA207.select
        case ["answer", value]:
            return value
    return "timed out"


async def record_and_return(ctx: restate.ObjectContext) -> str:
    wake_id = ctx.awakeable()[0]  # REA207's fix: the id goes to whoever answers
    ctx.set("pending", wake_id)
    return "recorded"


async def poll_awakeable(ctx: restate.ObjectContext) -> str:
    _wake_id, wake = ctx.awakeable()  # nobody answers: the zero timeout wins at once
    match await restate.select(answer=wake, timeout=ctx.sleep(timedelta(seconds=0))):  # a poll: no REA207
        case ["answer", value]:
            return value
    return "nobody yet"


async def poll_answered(ctx: restate.ObjectContext) -> str:
    wake_id, wake = ctx.awakeable()
    ctx.resolve_awakeable(wake_id, "answered")  # the answer can win the poll: the SDK then awaits it
    for _ in range(50):
        match await restate.select(answer=wake, timeout=ctx.sleep(timedelta(0))):
            case ["answer", value]:
                return value
    return "nobody yet"


async def shared_wait(ctx: restate.ObjectSharedContext) -> str:
    wake_id, wake = ctx.awakeable()
    ctx.resolve_awakeable(wake_id, "answered")
    return await wake  # a shared handler holds no lock


SERVICE_CASES = [
    ("REA208", "coroutine_action", "REA208.ctx", coroutine_action),
    ("REA208", "helper_action", "REA208.helper", helper_action),
    ("REA210", "wrong_kind_call", "REA210", wrong_kind_call),
]
OBJECT_CASES = [
    ("REA207", "wait_awakeable", "REA207.await", wait_awakeable),
    ("REA207", "select_awakeable", "REA207.select", select_awakeable),
]
ALL_CASES = SERVICE_CASES + OBJECT_CASES
WARN_RESULT = {"wrong_kind_call": "sent", "wait_awakeable": "answered", "select_awakeable": "answered"}
"""What a handler returns when rea only warns (or is disabled). The REA208 handlers are not in
here: without rea the SDK refuses a non-callable with a `TypeError`, which Restate retries."""


def _service(policy: str) -> rea_runtime.Service:
    svc = rea_runtime.Service(f"Misuse_{policy}", policy=policy)
    for _, name, _, body in SERVICE_CASES:
        svc.handler(name=name)(body)
    svc.handler(name="right_kind_calls")(right_kind_calls)
    svc.handler(name="bad_input")(bad_input)
    return svc


def _object(policy: str) -> rea_runtime.VirtualObject:
    obj = rea_runtime.VirtualObject(f"MisuseObject_{policy}", policy=policy)
    for _, name, _, body in OBJECT_CASES:
        obj.handler(name=name)(body)
    obj.handler(name="record_and_return")(record_and_return)
    obj.handler(name="poll_awakeable")(poll_awakeable)
    obj.handler(name="poll_answered")(poll_answered)
    obj.handler(name="shared_wait", kind="shared")(shared_wait)
    return obj


@pytest.fixture(scope="module")
def restate_app():
    services = [inbox, plain]
    for policy in POLICIES:
        services += [_service(policy), _object(policy)]
    return restate.app(services)


async def _call(env, policy: str, handler: str, arg=None):
    if handler in {name for _, name, _, _ in OBJECT_CASES} | {"record_and_return", "shared_wait", "poll_awakeable", "poll_answered"}:
        return await env.call(f"MisuseObject_{policy}", handler, arg, key=env.unique())
    return await env.call(f"Misuse_{policy}", handler, arg)


IDS = [f"{c}-{n}" for c, n, _, _ in ALL_CASES]


@pytest.mark.parametrize("code,handler,mark,_body", ALL_CASES, ids=IDS)
async def test_strict_fails_at_once_naming_rule_and_line(restate_env, code, handler, mark, _body):
    started = time.monotonic()
    resp = await _call(restate_env, "strict", handler)
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith(f"{code} {RULES[code].name}: "), message
    assert f"at {where(HERE, mark)};" in message, message
    assert time.monotonic() - started < 10


async def _outcome(env, policy: str, handler: str):
    """(status, result) of one call; for a handler Restate keeps retrying, ("retried", the
    last failure) once the server reports it backing off (the invocation is then killed)."""
    if handler in WARN_RESULT:
        resp = await _call(env, policy, handler)
        return resp.status_code, resp.json()
    inv = await env.send(f"Misuse_{policy}", handler)
    try:
        row = await env.wait_for(inv, lambda r: r["status"] == "backing-off")
    finally:
        env.kill(inv)
    return "retried", row["last_failure"]


@pytest.mark.parametrize("code,handler,mark,_body", ALL_CASES, ids=IDS)
async def test_warn_logs_once_and_changes_nothing(restate_env, code, handler, mark, _body):
    with structlog.testing.capture_logs() as logs:
        status, result = await _outcome(restate_env, "warn", handler)
    if handler in WARN_RESULT:
        assert (status, result) == (200, WARN_RESULT[handler])
    else:
        assert status == "retried" and "is not a callable object" in result, result
    ours = [e for e in logs if e.get("code") == code]
    assert ours and ours[0]["location"] == where(HERE, mark), logs
    assert len({e["invocation_id"] for e in ours}) == 1 and len(ours) == 1  # once per invocation
    assert {e.get("code") for e in logs if "code" in e} == {code}


@pytest.mark.parametrize("code,handler,mark,_body", ALL_CASES, ids=IDS)
async def test_disabled_logs_nothing(restate_env, code, handler, mark, _body):
    with structlog.testing.capture_logs() as logs:
        status, result = await _outcome(restate_env, "disabled", handler)
    if handler in WARN_RESULT:
        assert (status, result) == (200, WARN_RESULT[handler])
    else:
        assert status == "retried" and "is not a callable object" in result, result
    assert not [e for e in logs if "code" in e]


@pytest.mark.parametrize("handler,result", [("right_kind_calls", "hello"), ("record_and_return", "recorded"),
                                            ("shared_wait", "answered"), ("poll_awakeable", "nobody yet"),
                                            ("poll_answered", "answered")])
async def test_look_alikes_are_not_flagged_even_under_strict(restate_env, handler, result):
    with structlog.testing.capture_logs() as logs:
        resp = await _call(restate_env, "strict", handler)
    assert resp.status_code == 200, resp.text
    assert resp.json() == result
    assert not [e for e in logs if "code" in e]


async def test_rea402_strict_turns_bad_input_terminal(restate_env):
    resp = await restate_env.call("Misuse_strict", "bad_input", -1)
    assert resp.status_code == 400, resp.text
    message = resp.json()["message"]
    assert message.startswith("REA402 retryable-error-for-bad-input: `ValueError('n must not be negative')`"), message
    assert f"at {where(HERE, 'REA402')};" in message
    good = await restate_env.call("Misuse_strict", "bad_input", 3)
    assert good.status_code == 200 and good.json() == 3


@pytest.mark.parametrize("policy", ["warn", "disabled"])
async def test_rea402_otherwise_left_as_is_and_retried(restate_env, policy):
    """The ValueError is left as it is: Restate retries it (warn says why, once)."""
    with structlog.testing.capture_logs() as logs:
        inv = await restate_env.send(f"Misuse_{policy}", "bad_input", -1)
        try:
            row = await restate_env.wait_for(inv, lambda r: r["status"] == "backing-off")
            assert "n must not be negative" in row["last_failure"]
        finally:
            restate_env.kill(inv)
    ours = [e for e in logs if e.get("code") == "REA402"]
    if policy == "warn":
        assert ours and ours[0]["location"] == where(HERE, "REA402")
        assert len({e["invocation_id"] for e in ours}) == 1  # once per invocation, not per retry
        assert len(ours) == 1
    else:
        assert not ours
