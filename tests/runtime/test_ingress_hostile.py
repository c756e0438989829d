"""Ingress paths on a real server: hostile keys land on exactly the key sent, delayed sends and
submits run late, and failures are rea's typed errors carrying the invocation id."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import restate

from rea_runtime.ingress import (
    IngressUsageError, InvocationFailed, InvocationNotFound, connect, path_segment,
)

box = restate.VirtualObject("HostileBox")
late = restate.Workflow("HostileLate")
failing = restate.Service("HostileFailing")

HOSTILE_KEYS = ["user/1", "../../admin", "a#b", "%2F", "ünïcødé ✓", "", "..", ".", "a?b=c", "a b", "/", "a\\b"]


@box.handler()
async def put(ctx: restate.ObjectContext, value: str) -> str:
    ctx.set("value", value)
    return ctx.key()


@box.handler(kind="shared")
async def read(ctx: restate.ObjectSharedContext) -> str | None:
    return await ctx.get("value")


def _now() -> float:
    return time.time()


@box.handler()
async def stamp(ctx: restate.ObjectContext) -> float:
    return await ctx.run("now", _now)


@late.main()
async def run(ctx: restate.WorkflowContext, started: float) -> float:
    return await ctx.run("now", _now) - started


@failing.handler()
async def boom(ctx: restate.Context, why: str) -> str:
    raise restate.TerminalError(f"refused: {why}")


@pytest.fixture(scope="module")
def restate_app():
    return restate.app([box, late, failing])


async def test_hostile_keys_land_on_the_key_sent(restate_env) -> None:
    landed: dict[str, str] = {}
    async with connect(restate_env.ingress_url) as ingress:
        for n, key in enumerate(HOSTILE_KEYS):
            landed[key] = await ingress.call(put, f"v{n}", key=key)
            assert await ingress.call(read, key=key) == f"v{n}"
            ik = f"hostile-{n}-{restate_env.unique()}"
            await ingress.send(put, f"w{n}", key=key, idempotency_key=ik)
            assert await ingress.attach(put, ik, key=key) == key
    assert landed == {key: key for key in HOSTILE_KEYS}  # the key the handler saw == the key sent
    rows = restate_env.query("SELECT service_key FROM state WHERE service_name = 'HostileBox' AND key = 'value'")
    stored = sorted(r["service_key"] for r in rows)
    assert stored == sorted(HOSTILE_KEYS), stored  # one state entry per key sent, nowhere else


def test_path_segments_are_escaped() -> None:
    assert path_segment("user/1", "key") == "user%2F1"
    assert path_segment("../../admin", "key") == "..%2F..%2Fadmin"
    assert path_segment("..", "key") == "%2E%2E"
    assert path_segment("a#b", "key") == "a%23b"
    assert path_segment("%2F", "key") == "%252F"
    with pytest.raises(IngressUsageError, match="lone surrogate"):
        path_segment("bad\udc80", "object key")


async def test_unrepresentable_keys_are_refused(restate_env) -> None:
    async with connect(restate_env.ingress_url) as ingress:
        with pytest.raises(IngressUsageError, match="object key 'bad\\\\udc80' is not valid Unicode"):
            await ingress.call(put, "x", key="bad\udc80")
        with pytest.raises(IngressUsageError, match="cannot be sent as an HTTP header"):
            await ingress.send(put, "x", key="k", idempotency_key="naïve")
        with pytest.raises(IngressUsageError, match="cannot be sent as an HTTP header"):
            await ingress.send(put, "x", key="k", idempotency_key=" padded")
        with pytest.raises(IngressUsageError, match="without percent-decoding"):
            await ingress.attach(put, "a/b", key="k")
        with pytest.raises(IngressUsageError, match="negative"):
            await ingress.send(put, "x", key="k", idempotency_key="neg", delay=timedelta(seconds=-1))


async def test_delayed_send_and_submit_run_late(restate_env) -> None:
    async with connect(restate_env.ingress_url) as ingress:
        key = restate_env.unique()
        sent_at = time.time()
        inv = await ingress.send(stamp, key=key, idempotency_key=f"late-{key}", delay=timedelta(milliseconds=1500))
        assert inv.startswith("inv_")
        ran_at = await ingress.attach_invocation(stamp, inv)
        assert ran_at - sent_at >= 1.4  # it waited for the delay (the SDK client got HTTP 400 here)
        wf = restate_env.unique()
        assert (await ingress.submit_workflow(run, wf, time.time(), delay=timedelta(milliseconds=1500))).startswith("inv_")
        assert await ingress.workflow_attach(run, wf) >= 1.4


async def test_errors_are_typed_and_carry_the_invocation_id(restate_env) -> None:
    async with connect(restate_env.ingress_url) as ingress:
        with pytest.raises(InvocationFailed) as err:
            await ingress.call(boom, "by call")
        assert "refused: by call" in str(err.value) and err.value.status == 500
        assert (err.value.invocation_id or "").startswith("inv_")
        inv = await ingress.send(boom, "by send", idempotency_key=f"boom-{restate_env.unique()}")
        with pytest.raises(InvocationFailed) as err:
            await ingress.attach_invocation(boom, inv)
        assert err.value.invocation_id == inv and "refused: by send" in str(err.value) and inv in str(err.value)
        with pytest.raises(InvocationNotFound) as missing:
            await ingress.attach(put, f"never-sent-{restate_env.unique()}", key="k")
        assert missing.value.status == 404
        with pytest.raises(InvocationNotFound):
            await ingress.workflow_attach(run, f"never-{restate_env.unique()}")
