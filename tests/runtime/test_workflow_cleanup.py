"""A preset's workflow retention reaching the server, and opt-in auto-cleanup (the Go `AutoCleanupOnCompletion`) on a real restate-server: a workflow
built with ``auto_cleanup=True`` has no state left once `run` succeeds, its result stays
retrievable; without it (or when `run` fails) the state stays."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import restate
from restate import TerminalError

import rea_runtime


def _workflow(name: str, cleanup: bool) -> rea_runtime.Workflow:
    wf = rea_runtime.Workflow(name, auto_cleanup=cleanup)

    @wf.main()
    async def run(ctx: restate.WorkflowContext, req: dict) -> str:
        ctx.set("progress", "half")
        ctx.set("detail", {"step": 1})
        if req.get("fail"):
            raise TerminalError("declined", status_code=402)
        return "done"

    @wf.handler()
    async def peek(ctx: restate.WorkflowSharedContext) -> list[str]:
        return sorted(await ctx.state_keys())

    return wf


retained = rea_runtime.Workflow("Retained", preset=rea_runtime.preset("production", workflow_retention=timedelta(days=10)))


@retained.main()
async def retained_run(ctx: restate.WorkflowContext) -> str:
    return "ok"


@pytest.fixture(scope="module")
def restate_app():
    return restate.app([_workflow("Cleaned", True), _workflow("Kept", False), retained])


async def test_preset_workflow_retention_is_what_the_server_applies(restate_env):
    async with httpx.AsyncClient() as client:
        svc = (await client.get(f"{restate_env.server.admin_url}/services/Retained")).json()
    assert svc["workflow_completion_retention"] == "10d"
    assert (svc["journal_retention"], svc["idempotency_retention"]) == ("7d", "7d")  # the rest of `production`


async def _run(env, wf: str, req: dict) -> tuple[str, object]:
    key = env.unique("wf")
    resp = await env.call(wf, "run", req, key=key)
    return key, resp


async def test_auto_cleanup_clears_state_when_run_completes(restate_env):
    key, resp = await _run(restate_env, "Cleaned", {})
    assert resp.status_code == 200 and resp.json() == "done"
    assert (await restate_env.call("Cleaned", "peek", key=key)).json() == []
    async with restate_env.client() as client:  # the result outlives the state
        out = await client.get(f"/restate/workflow/Cleaned/{key}/output")
    assert out.status_code == 200 and out.json() == "done", out.text


async def test_without_auto_cleanup_or_on_failure_the_state_stays(restate_env):
    key, resp = await _run(restate_env, "Kept", {})
    assert resp.status_code == 200
    assert (await restate_env.call("Kept", "peek", key=key)).json() == ["detail", "progress"]
    key, resp = await _run(restate_env, "Cleaned", {"fail": True})
    assert resp.status_code == 402
    assert (await restate_env.call("Cleaned", "peek", key=key)).json() == ["detail", "progress"]
