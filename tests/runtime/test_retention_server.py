"""Retention as restate-server applies it, on a real server: the evidence behind the presets'
checks and the workflow-retention check (docs/configuration.md, "Retention").

- a journal retention longer than the idempotency retention is clamped to it, for every ingress
  request (so rea refuses `journal_retention > idempotency_retention`); a shorter one is harmless (a retry still gets
  the stored result once the journal is gone);
- the values a preset gives reach the server, at service and handler level; the server takes
  retentions up to 7,304,484 days (one day more and its admin API panics: seen when this
  module first tried `timedelta.max`, so rea refuses it);
- workflow retention counts from completion: a `run` that sleeps longer than its retention still
  reads its state, and state and output are gone a retention after it completes;
- what does get lost: a delayed send from `run` to its own shared handler that lands after the
  retention finds no state.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest
import restate

import rea_runtime
from rea_runtime.testing import RestateServer
from rea_runtime.testing.harness import Deployment
from rea_runtime.testing.serve import AppServer
from rea_runtime.presets import MAX_RETENTION, ConfigurationError

SERVED: dict[str, int] = {"once": 0}
LATE: dict[str, list[str]] = {}

clamped = restate.Service("RetClamped", journal_retention=timedelta(hours=1),
                          idempotency_retention=timedelta(seconds=15))  # plain SDK: rea refuses this


@clamped.handler()
async def echo(ctx: restate.Context, x: str) -> str:
    await ctx.run("step", lambda: None)
    return x


short_journal = rea_runtime.Service("RetShortJournal", journal_retention=timedelta(seconds=1),
                                    idempotency_retention=timedelta(hours=1))


@short_journal.handler()
async def once(ctx: restate.Context, x: str) -> str:
    def count() -> int:
        SERVED["once"] += 1
        return SERVED["once"]

    n = await ctx.run("count", count)
    return f"{x}#{n}"


configured = rea_runtime.Service("RetConfigured", preset="high-volume")


@configured.handler(journal_retention=timedelta(minutes=5), idempotency_retention=timedelta(minutes=10))
async def tuned(ctx: restate.Context) -> str:
    return "ok"


longest = rea_runtime.Service("RetLongest", journal_retention=MAX_RETENTION, idempotency_retention=MAX_RETENTION)


@longest.handler()
async def forever(ctx: restate.Context) -> str:
    return "kept"


semantics = rea_runtime.Workflow("RetFromCompletion")


@semantics.main(workflow_retention=timedelta(seconds=5))
async def sem_run(ctx: restate.WorkflowContext) -> str:
    ctx.set("mark", "set before the sleep")
    await ctx.sleep(timedelta(seconds=8))  # longer than the retention
    return await ctx.get("mark") or "gone"


@semantics.handler()
async def sem_peek(ctx: restate.WorkflowSharedContext) -> list[str]:
    return sorted(await ctx.state_keys())


late = restate.Workflow("RetLateSend")  # plain SDK: rea's definition-time check refuses this one


@late.main(workflow_retention=timedelta(seconds=1))
async def late_run(ctx: restate.WorkflowContext) -> str:
    ctx.set("order", "o-1")
    ctx.workflow_send(late_read, ctx.key(), None, send_delay=timedelta(seconds=10))
    return "sent"


@late.handler()
async def late_read(ctx: restate.WorkflowSharedContext) -> None:
    LATE.setdefault(ctx.key(), []).append(await ctx.get("order") or "no state")


@pytest.fixture(scope="module")
def restate_env():
    """A server of its own that purges expired completions every second (restate-server's
    `worker.cleanup-interval`, 1 h by default: retention is a lower bound on how long things stay)."""
    server = RestateServer(extra_env={"RESTATE_WORKER__CLEANUP_INTERVAL": "1s"}).start()
    app_server = AppServer(restate.app([clamped, short_journal, configured, longest, semantics, late])).start()
    try:
        yield Deployment(server, app_server, server.register(app_server.url))
    finally:
        app_server.stop()
        server.stop()


def _journal_len(env, invocation_id: str) -> int:
    return env.query(f"SELECT count(*) AS n FROM sys_journal WHERE id = '{invocation_id}'")[0]["n"]


async def _send(env, path: str, arg: str, idempotency_key: str | None = None) -> str:
    headers = {"content-type": "application/json"}
    if idempotency_key:
        headers["idempotency-key"] = idempotency_key
    async with env.client() as client:
        resp = await client.post(f"{path}/send", content=f'"{arg}"', headers=headers)
    assert resp.status_code < 300, resp.text
    return resp.json()["invocationId"]


async def _until(predicate, timeout: float = 20.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        got = await predicate()
        if got or time.monotonic() > deadline:
            return got
        await asyncio.sleep(every)


def _retention(env, invocation_id: str) -> tuple[str, str]:
    row = env.query(f"SELECT completion_retention, journal_retention FROM sys_invocation WHERE id = '{invocation_id}'")[0]
    return row["completion_retention"], row["journal_retention"]


async def test_journal_longer_than_idempotency_is_clamped_to_it(restate_env):
    keyed = await _send(restate_env, "/RetClamped/echo", "a", idempotency_key=restate_env.unique("idem"))
    plain = await _send(restate_env, "/RetClamped/echo", "b")
    for inv in (keyed, plain):
        await restate_env.wait_for(inv, lambda row: row["status"] == "completed")
    # The server's own record: the 1 h journal retention became 15 s. restate-server 1.7 gives
    # every ingress request an idempotency key of its own, so a plain request is clamped too.
    assert _retention(restate_env, keyed) == ("PT15S", "PT15S")
    assert _retention(restate_env, plain) == ("PT15S", "PT15S")
    assert restate_env.invocation(plain)["idempotency_key"]

    async def keyed_gone() -> bool:
        return await asyncio.to_thread(_journal_len, restate_env, keyed) == 0

    assert await _until(keyed_gone, timeout=90), "the journal outlived the idempotency retention"


async def test_journal_shorter_than_idempotency_loses_nothing(restate_env):
    key = restate_env.unique("idem")
    first = await restate_env.call("RetShortJournal", "once", "x", idempotency_key=key)
    assert first.status_code == 200 and first.json() == f"x#{SERVED['once']}"
    row = restate_env.query(f"SELECT id FROM sys_invocation WHERE idempotency_key = '{key}'")
    inv = row[0]["id"]

    async def journal_gone() -> bool:
        return await asyncio.to_thread(_journal_len, restate_env, inv) == 0

    assert await _until(journal_gone), "a 1 s journal retention kept the journal"
    served = SERVED["once"]
    again = await restate_env.call("RetShortJournal", "once", "x", idempotency_key=key)
    assert again.status_code == 200 and again.json() == first.json()  # the stored result, not a rerun
    assert SERVED["once"] == served


async def _service(env, name: str) -> dict:
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{env.server.admin_url}/services/{name}")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_preset_and_handler_retention_reach_the_server(restate_env):
    svc = await _service(restate_env, "RetConfigured")
    assert (svc["journal_retention"], svc["idempotency_retention"]) == ("1h", "1h")  # the high-volume preset
    handler = next(h for h in svc["handlers"] if h["name"] == "tuned")
    assert (handler["journal_retention"], handler["idempotency_retention"]) == ("5m", "10m")


async def test_the_longest_retention_the_server_takes_and_one_day_more_is_refused(restate_env):
    svc = await _service(restate_env, "RetLongest")
    assert (svc["journal_retention"], svc["idempotency_retention"]) == ("7304484d", "7304484d")
    assert (await restate_env.call("RetLongest", "forever")).json() == "kept"
    # One day more and restate-server's admin API panics rendering it (the registration never
    # answers; tests/runtime/test_retention_server.py's module docstring): refused before that.
    for field in ("journal_retention", "idempotency_retention"):
        with pytest.raises(ConfigurationError, match=f"{field} is 7304485 days.*fix: at most timedelta\\(days=7304484\\)"):
            rea_runtime.Service(f"RetTooLong{field}", **{field: MAX_RETENTION + timedelta(days=1)})


async def test_workflow_retention_counts_from_completion(restate_env):
    key = restate_env.unique("wf")
    resp = await restate_env.call("RetFromCompletion", "sem_run", key=key)
    assert resp.status_code == 200 and resp.json() == "set before the sleep"  # an 8 s sleep, 5 s retention
    assert (await restate_env.call("RetFromCompletion", "sem_peek", key=key)).json() == ["mark"]  # kept after completion

    async def gone() -> bool:
        async with restate_env.client() as client:
            out = await client.get(f"/restate/workflow/RetFromCompletion/{key}/output")
        return out.status_code == 404

    assert await _until(gone, timeout=60), "the output outlived the retention"
    assert (await restate_env.call("RetFromCompletion", "sem_peek", key=key)).json() == []


async def test_a_delayed_send_past_the_retention_finds_no_state(restate_env):
    key = restate_env.unique("wf")
    resp = await restate_env.call("RetLateSend", "late_run", key=key)
    assert resp.status_code == 200 and resp.json() == "sent"

    async def landed() -> bool:
        return bool(LATE.get(key))

    assert await _until(landed, timeout=60), "the delayed send never ran"
    assert LATE[key] == ["no state"]  # run completed at once; 1 s later its state was gone; the send came at 10 s
