"""Every guard on a real restate-server, in each policy.

strict: the invocation fails at once (ingress 500) with the code, rule name, `file:line` and
fix hint; warn: it completes and one structlog warning names the rule; disabled: it completes
and nothing is logged. One deployment serves the whole module (unique services per policy).
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest
import restate
import structlog

import rea_runtime
from rea_lint.catalog import RULES

from ._markers import where

HERE = os.path.abspath(__file__)
POLICIES = ("strict", "warn", "disabled")

sink = restate.Service("GuardSink")


@sink.handler()
async def take(ctx: restate.Context, value: str) -> str:
    return value


# --- violating handler bodies (Service) --------------------------------------------------


async def time_time(ctx: restate.Context) -> str:
    time.time()  # <- REA101.time
    time.time()  # a second read: warn must still log once
    return "ran"


async def datetime_now(ctx: restate.Context) -> str:
    datetime.now()  # <- REA101.datetime
    return "ran"


async def random_random(ctx: restate.Context) -> str:
    random.random()  # <- REA102
    return "ran"


async def uuid_uuid4(ctx: restate.Context) -> str:
    uuid.uuid4()  # <- REA103
    return "ran"


async def os_urandom(ctx: restate.Context) -> str:
    os.urandom(16)  # <- REA102.urandom
    return "ran"


async def secrets_token_hex(ctx: restate.Context) -> str:
    secrets.token_hex(8)  # <- REA102.token_hex
    return "ran"


async def asyncio_sleep(ctx: restate.Context) -> str:
    await asyncio.sleep(0)  # <- REA105
    return "ran"


async def socket_io(ctx: restate.Context) -> str:
    socket.socket().close()  # <- REA108
    return "ran"


async def thread_start(ctx: restate.Context) -> str:
    t = threading.Thread(target=lambda: None)
    t.start()  # <- REA110
    t.join()
    return "ran"


async def ctx_in_sync_run(ctx: restate.Context) -> str:
    # The action runs on an executor thread: the guard must follow the thread hop.
    return await ctx.run_typed("peek", lambda: ctx.request().id[:4])  # <- REA201.sync


async def ctx_in_async_run(ctx: restate.Context) -> str:
    async def action() -> str:
        return ctx.request().id[:4]  # <- REA201.async

    return await ctx.run_typed("peek", action)


async def unawaited_sleep(ctx: restate.Context) -> str:
    ctx.sleep(timedelta(seconds=30))  # <- REA204
    return "ran"


async def key_from_ctx_uuid(ctx: restate.Context) -> str:
    ctx.service_send(take, "x", idempotency_key=f"refund-{ctx.uuid()}")  # <- REA301
    return "ran"


async def key_from_uuid4(ctx: restate.Context) -> str:
    ctx.service_send(take, "x", idempotency_key=f"refund-{uuid.uuid4()}")  # <- REA302
    return "ran"


CASES = [
    ("REA101", "time_time", "REA101.time", time_time),
    ("REA101", "datetime_now", "REA101.datetime", datetime_now),
    ("REA102", "random_random", "REA102", random_random),
    ("REA103", "uuid_uuid4", "REA103", uuid_uuid4),  # uuid4 reads the hooked os.urandom: one report
    ("REA102", "os_urandom", "REA102.urandom", os_urandom),
    ("REA102", "secrets_token_hex", "REA102.token_hex", secrets_token_hex),  # via the hooked token_bytes
    ("REA105", "asyncio_sleep", "REA105", asyncio_sleep),
    ("REA108", "socket_io", "REA108", socket_io),
    ("REA110", "thread_start", "REA110", thread_start),
    ("REA201", "ctx_in_sync_run", "REA201.sync", ctx_in_sync_run),
    ("REA201", "ctx_in_async_run", "REA201.async", ctx_in_async_run),
    ("REA204", "unawaited_sleep", "REA204", unawaited_sleep),
    ("REA301", "key_from_ctx_uuid", "REA301", key_from_ctx_uuid),
]


def _service(policy: str) -> rea_runtime.Service:
    svc = rea_runtime.Service(f"Guards_{policy}", policy=policy)
    for _, name, _, body in CASES:
        svc.handler(name=name)(body)
    return svc


def _service_302(policy: str) -> rea_runtime.Service:
    # uuid4 itself (REA103) is let through so that the key it builds reaches the REA302 check
    # (and the os.urandom it reads is not reported in its place).
    svc = rea_runtime.Service(f"Guards302_{policy}", policy=policy, rules={"REA103": "disabled"})
    svc.handler(name="key_from_uuid4")(key_from_uuid4)
    return svc


def _object(policy: str) -> rea_runtime.VirtualObject:
    # validate=False: the definition-time REA202 check would refuse this deliberately broken
    # handler at import; this module tests the run-time guard.
    obj = rea_runtime.VirtualObject(f"Shared_{policy}", policy=policy, validate=False)

    @obj.handler(kind="shared")
    async def write(ctx: restate.ObjectSharedContext) -> str:
        ctx.set("seen", True)  # <- REA202
        return "ran"

    @obj.handler()
    async def exclusive_write(ctx: restate.ObjectContext, value: int) -> int:
        ctx.set("n", value)
        return value

    return obj


scoped = rea_runtime.Service("Scoped", policy="strict")


@scoped.handler()
async def scope_key_from_ctx_uuid(ctx: restate.Context) -> str:
    ctx.scope("tenant1").service_send(take, "x", idempotency_key=f"refund-{ctx.uuid()}")  # <- REA301.scope
    return "ran"


@scoped.handler()
async def scope_in_run(ctx: restate.Context) -> str:
    async def action() -> str:
        ctx.scope("tenant1").service_send(take, "x")  # <- REA201.scope
        return "x"

    return await ctx.run_typed("send", action)


SCOPE_CASES = [("REA301", "scope_key_from_ctx_uuid", "REA301.scope"), ("REA201", "scope_in_run", "REA201.scope")]

kinds_svc = rea_runtime.Service("KindsSvc")
kinds_obj = rea_runtime.VirtualObject("KindsObj")
kinds_wf = rea_runtime.Workflow("KindsWf")
CONTEXT_CLASSES = {
    "Context": restate.Context, "ObjectContext": restate.ObjectContext,
    "ObjectSharedContext": restate.ObjectSharedContext, "WorkflowContext": restate.WorkflowContext,
    "WorkflowSharedContext": restate.WorkflowSharedContext,
}


def _isinstance_of(ctx: object) -> list[str]:
    return sorted(name for name, cls in CONTEXT_CLASSES.items() if isinstance(ctx, cls))


@kinds_svc.handler(name="kinds")
async def svc_kinds(ctx: restate.Context) -> list[str]:
    return _isinstance_of(ctx)


@kinds_obj.handler(name="kinds")
async def obj_kinds(ctx: restate.ObjectContext) -> list[str]:
    return _isinstance_of(ctx)


@kinds_obj.handler(name="shared_kinds", kind="shared")
async def obj_shared_kinds(ctx: restate.ObjectSharedContext) -> list[str]:
    return _isinstance_of(ctx)


@kinds_wf.main(name="run")
async def wf_kinds(ctx: restate.WorkflowContext) -> list[str]:
    return _isinstance_of(ctx)


@kinds_wf.handler(name="shared_kinds")
async def wf_shared_kinds(ctx: restate.WorkflowSharedContext) -> list[str]:
    return _isinstance_of(ctx)


mixed = rea_runtime.Service("Mixed", policy="strict")


@mixed.handler()
async def maybe(ctx: restate.Context, n: int) -> int:
    await ctx.run_typed("step", lambda: n)  # interleave the 50 invocations
    if n % 3 == 0:
        time.time()  # <- REA101.mixed
    await ctx.sleep(timedelta(milliseconds=5))
    return n


mixed_warn = rea_runtime.Service("MixedWarn", policy="warn")
mixed_warn.handler(name="maybe")(maybe)

clean = rea_runtime.Service("Clean", policy="strict")


@clean.handler()
async def side_effects_in_runs(ctx: restate.Context) -> str:
    """Everything the stdlib guards watch, inside run actions: never flagged."""

    def effects() -> str:
        time.time()
        random.random()
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
        with open(HERE, encoding="utf-8") as fh:
            fh.readline()
        return str(uuid.uuid4())

    async def async_effects() -> float:
        await asyncio.sleep(0)
        return time.time()

    a = await ctx.run_typed("effects", effects)
    b = await ctx.run_typed("async effects", async_effects)
    ts = await ctx.time()
    return f"{len(a)} {b > 0} {ts > 0}"


@pytest.fixture(scope="module")
def restate_app():
    services = [sink, mixed, mixed_warn, clean, scoped, kinds_svc, kinds_obj, kinds_wf]
    for policy in POLICIES:
        services += [_service(policy), _service_302(policy), _object(policy)]
    return restate.app(services)


ALL_CASES = [(c, n, m) for c, n, m, _ in CASES] + [("REA302", "key_from_uuid4", "REA302")]


def _target(code: str, name: str, policy: str) -> str:
    return f"Guards302_{policy}" if code == "REA302" else f"Guards_{policy}"


@pytest.mark.parametrize("code,handler,mark", ALL_CASES, ids=[f"{c}-{n}" for c, n, _ in ALL_CASES])
async def test_strict_fails_fast_with_code_location_and_fix(restate_env, code, handler, mark):
    started = time.monotonic()
    resp = await restate_env.call(_target(code, handler, "strict"), handler)
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    rule = RULES[code]
    assert message.startswith(f"{code} {rule.name}: "), message
    assert f"at {where(HERE, mark)};" in message
    assert rule.fix_hint in message
    assert time.monotonic() - started < 10  # failed at once, not after retries


@pytest.mark.parametrize("code,handler,mark", ALL_CASES, ids=[f"{c}-{n}" for c, n, _ in ALL_CASES])
async def test_warn_runs_on_and_logs_once(restate_env, code, handler, mark):
    with structlog.testing.capture_logs() as logs:
        resp = await restate_env.call(_target(code, handler, "warn"), handler)
    assert resp.status_code == 200, resp.text
    ours = [e for e in logs if e.get("code") == code]
    assert len(ours) == 1, logs
    assert ours[0]["location"] == where(HERE, mark)
    assert ours[0]["rule"] == RULES[code].name
    assert ours[0]["invocation_id"] == resp.headers["x-restate-id"]
    assert ours[0]["log_level"] == "warning"
    # nothing else was flagged in this handler
    assert {e.get("code") for e in logs if "code" in e} == {code}


@pytest.mark.parametrize("code,handler,mark", ALL_CASES, ids=[f"{c}-{n}" for c, n, _ in ALL_CASES])
async def test_disabled_is_untouched(restate_env, code, handler, mark):
    with structlog.testing.capture_logs() as logs:
        resp = await restate_env.call(_target(code, handler, "disabled"), handler)
    assert resp.status_code == 200, resp.text
    assert not [e for e in logs if "code" in e]


async def test_rea202_strict_refuses_write_before_it_leaves(restate_env):
    key = restate_env.unique()
    resp = await restate_env.call("Shared_strict", "write", key=key)
    assert resp.status_code == 500
    message = resp.json()["message"]
    assert message.startswith("REA202 state-write-in-shared-handler: ")
    assert f"at {where(HERE, 'REA202')};" in message
    # The exclusive handler of the same object still writes.
    ok = await restate_env.call("Shared_strict", "exclusive_write", 7, key=key)
    assert ok.status_code == 200 and ok.json() == 7


async def test_rea202_warn_logs_once_and_leaves_the_write_to_the_sdk(restate_env):
    """warn never changes what the SDK does: the write is sent (not silently dropped), the
    server refuses it as it would without rea, and the warning is logged once across retries."""
    with structlog.testing.capture_logs() as logs:
        inv = await restate_env.send("Shared_warn", "write", key=restate_env.unique())
        try:
            row = await restate_env.wait_for(inv, lambda r: r["status"] == "backing-off" and r["retry_count"] >= 2)
            assert "cannot write state" in row["last_failure"]
        finally:
            restate_env.kill(inv)
    assert [e["code"] for e in logs if "code" in e] == ["REA202"]
    assert [e["location"] for e in logs if "code" in e] == [where(HERE, "REA202")]


@pytest.mark.parametrize("code,handler,mark", SCOPE_CASES, ids=[n for _, n, _ in SCOPE_CASES])
async def test_scoped_context_calls_are_guarded(restate_env, code, handler, mark):
    resp = await restate_env.call("Scoped", handler)
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith(f"{code} {RULES[code].name}: "), message
    assert f"at {where(HERE, mark)};" in message


async def test_guarded_context_passes_the_sdk_isinstance_checks(restate_env):
    """As the SDK's own context (an ObjectContext in every handler), plus the annotated class."""
    key = restate_env.unique()
    got = {
        "service": (await restate_env.call("KindsSvc", "kinds")).json(),
        "exclusive": (await restate_env.call("KindsObj", "kinds", key=key)).json(),
        "shared": (await restate_env.call("KindsObj", "shared_kinds", key=key)).json(),
        "workflow": (await restate_env.call("KindsWf", "run", key=key)).json(),
        "workflow shared": (await restate_env.call("KindsWf", "shared_kinds", key=key)).json(),
    }
    base = ["Context", "ObjectContext"]
    assert got == {
        "service": base,
        "exclusive": base,
        "shared": sorted(base + ["ObjectSharedContext"]),
        "workflow": sorted(base + ["WorkflowContext"]),
        "workflow shared": sorted(base + ["ObjectSharedContext", "WorkflowSharedContext"]),
    }


async def test_rea202_disabled_reaches_the_server_which_refuses_it(restate_env):
    """Untouched: the SDK sends the write and the server rejects it (and would retry forever)."""
    inv = await restate_env.send("Shared_disabled", "write", key=restate_env.unique())
    try:
        row = await restate_env.wait_for(inv, lambda r: r["status"] == "backing-off")
        assert "cannot write state" in row["last_failure"]
    finally:
        restate_env.kill(inv)


async def test_fifty_concurrent_invocations_only_violators_fail(restate_env):
    async with restate_env.client() as client:
        responses = await asyncio.gather(*(restate_env.call("Mixed", "maybe", n, client=client) for n in range(50)))
    for n, resp in enumerate(responses):
        if n % 3 == 0:
            assert resp.status_code == 500, (n, resp.text)
            assert resp.json()["message"].startswith("REA101 time-in-handler")
            assert where(HERE, "REA101.mixed") in resp.json()["message"]
        else:
            assert resp.status_code == 200, (n, resp.text)
            assert resp.json() == n


async def test_fifty_concurrent_warnings_name_exactly_the_violators(restate_env):
    with structlog.testing.capture_logs() as logs:
        async with restate_env.client() as client:
            responses = await asyncio.gather(
                *(restate_env.call("MixedWarn", "maybe", n, client=client) for n in range(50))
            )
    assert all(r.status_code == 200 for r in responses)
    violators = {r.headers["x-restate-id"] for n, r in enumerate(responses) if n % 3 == 0}
    warned = [e["invocation_id"] for e in logs if e.get("code") == "REA101"]
    assert sorted(warned) == sorted(violators)


async def test_side_effects_inside_run_actions_are_not_flagged(restate_env):
    with structlog.testing.capture_logs() as logs:
        resp = await restate_env.call("Clean", "side_effects_in_runs")
    assert resp.status_code == 200, resp.text
    assert resp.json() == "36 True True"
    assert not [e for e in logs if "code" in e]


def test_code_outside_handlers_is_never_flagged():
    # The hooks are installed (the module's services were decorated) but no handler runs here.
    assert rea_runtime.guards.installed()
    with structlog.testing.capture_logs() as logs:
        time.time()
        random.random()
        uuid.uuid4()
        os.urandom(4)
        secrets.token_hex(4)
        datetime.now()
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    assert not [e for e in logs if "code" in e]
