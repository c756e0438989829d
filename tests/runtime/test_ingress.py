"""The ingress layer on a real server: typed calls, attach, workflows, the idempotency policy, REA205."""

from __future__ import annotations

import uuid

import pytest
import restate
import structlog

import rea_runtime
from rea_runtime.ingress import Ingress, IngressUsageError, connect

greeter = restate.Service("IngGreeter")
counter = restate.VirtualObject("IngCounter")
signup = restate.Workflow("IngSignup")
caller = rea_runtime.Service("IngCaller", policy="strict")


@greeter.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    return f"hello {name}"


@counter.handler()
async def add(ctx: restate.ObjectContext, n: int) -> int:
    total = (await ctx.get("total") or 0) + n
    ctx.set("total", total)
    return total


@signup.main()
async def run(ctx: restate.WorkflowContext, email: str) -> str:
    return await ctx.promise("confirmed").value()


@signup.handler()
async def confirm(ctx: restate.WorkflowSharedContext, code: str) -> None:
    await ctx.promise("confirmed").resolve(f"{ctx.key()}:{code}")


URL: dict[str, str] = {}


@caller.handler()
async def misuse(ctx: restate.Context) -> str:
    async with connect(URL["ingress"]) as ingress:
        return await ingress.call(greet, "from inside")


@pytest.fixture(scope="module")
def restate_app():
    return restate.app([greeter, counter, signup, caller])


async def test_typed_call_and_send(restate_env) -> None:
    async with connect(restate_env.ingress_url) as ingress:
        assert await ingress.call(greet, "ada") == "hello ada"
        key = restate_env.unique()
        assert await ingress.call(add, 2, key=key) == 2
        inv = await ingress.send(add, 3, key=key, idempotency_key=f"add-3-{key}")
        assert inv.startswith("inv_")
        assert await ingress.attach(add, f"add-3-{key}", key=key) == 5
        with pytest.raises(IngressUsageError, match="pass key="):
            await ingress.call(add, 1)
        with pytest.raises(IngressUsageError, match="takes no key"):
            await ingress.call(greet, "x", key="k")


async def test_workflow_submit_attach_output(restate_env) -> None:
    async with connect(restate_env.ingress_url) as ingress:
        key = restate_env.unique()
        assert (await ingress.submit_workflow(run, key, "a@b.c")).startswith("inv_")
        assert await ingress.workflow_output(run, key) == (False, None)
        await ingress.call(confirm, "42", key=key)
        assert await ingress.workflow_attach(run, key) == f"{key}:42"
        assert await ingress.workflow_output(run, key) == (True, f"{key}:42")
        with pytest.raises(IngressUsageError, match="not a workflow's main"):
            await ingress.workflow_attach(confirm, key)


async def test_idempotency_policy(restate_env) -> None:
    async with connect(restate_env.ingress_url) as ingress:
        key = restate_env.unique()
        wf = restate_env.unique()
        with structlog.testing.capture_logs() as logs:
            await ingress.send(add, 1, key=key)
            await ingress.submit_workflow(run, wf, "x")  # workflows are idempotent per key
        await ingress.call(confirm, "0", key=wf)  # let it finish: an open invocation slows teardown
        warned = [e["event"] for e in logs if e["log_level"] == "warning"]
        assert len(warned) == 1 and "without an idempotency key" in warned[0]
        with structlog.testing.capture_logs() as logs:
            for _attempt in range(2):  # a retry loop that makes a new key each time
                await ingress.send(add, 7, key=key, idempotency_key=str(uuid.uuid4()))
        flagged = [e["event"] for e in logs if e["log_level"] == "warning"]
        assert len(flagged) == 1 and "looks freshly generated per retry" in flagged[0]
        stable = f"seven-{key}"
        with structlog.testing.capture_logs() as logs:
            for _attempt in range(2):
                await ingress.send(add, 8, key=key, idempotency_key=stable)
        assert [e for e in logs if e["log_level"] == "warning"] == []
    quiet = Ingress(None, idempotent_targets={"IngCounter/add"})  # type: ignore[arg-type]
    with structlog.testing.capture_logs() as logs:
        quiet._check_key(*quiet._target(add, "k"), "k", 1, None)
    assert logs == []


async def test_ingress_from_handler_code_is_rea205(restate_env) -> None:
    URL["ingress"] = restate_env.ingress_url
    resp = await restate_env.call("IngCaller", "misuse")
    assert resp.status_code == 500
    assert "REA205" in resp.text and "ingress" in resp.text
