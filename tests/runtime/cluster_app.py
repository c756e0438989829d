"""The app the 3-node cluster fault test serves in a child process (killed and restarted).

Every execution of an effect is a row in a sqlite file (``$REA_CLUSTER_DB``) with a fresh token,
committed before the effect returns. The handlers return the tokens the journal adopted, so the
test can tell "Restate adopted this step once" (the guarantee) from "the code ran again because
a crash lost its result before it was journaled" (at-least-once execution, counted and reported).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import timedelta

import restate
from restate import TerminalError

import rea_runtime
from rea_runtime import State
from rea_runtime.breaker import CircuitBreaker, breaker_object
from rea_runtime.saga import Retry, Saga, SagaFailed

STEPS = ("flight", "hotel", "quote", "payment")


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(os.environ["REA_CLUSTER_DB"], timeout=30, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT, kind TEXT, "
                 "step TEXT, token TEXT, pid INTEGER)")
    return conn


def execute(key: str, kind: str, step: str, fail: bool = False):
    def do() -> str:
        token = uuid.uuid4().hex
        with _db() as conn:
            conn.execute("INSERT INTO runs (key, kind, step, token, pid) VALUES (?, ?, ?, ?, ?)",
                         (key, kind, step, token, os.getpid()))
        if fail:
            raise TerminalError(f"{step} declined")
        return token

    return do


QUOTES = CircuitBreaker("cluster-quotes", failure_threshold=50, cooldown=timedelta(seconds=1))
ADOPTED = State("adopted", dict[str, str], default={})
STATUS = State("status", str)

trips = rea_runtime.VirtualObject("ClusterTrip", policy="strict")


@trips.handler()
async def book(ctx: restate.ObjectContext, req: dict) -> dict:
    key = ctx.key()
    saga = Saga(ctx, "trip", retry=Retry(max_attempts=3, initial_interval=timedelta(milliseconds=50)))
    adopted: dict[str, str] = {}
    compensated: dict[str, str] = {}

    def undo(step: str):
        def do() -> str:
            compensated[step] = execute(key, "compensate", step)()
            return compensated[step]
        return do

    try:
        async with saga:
            for step in STEPS:
                if step == "quote":  # the breaker-protected dependency call
                    adopted[step] = await QUOTES.run(ctx, "quote", execute(key, "action", step))
                    continue
                adopted[step] = await saga.step(
                    step, action=execute(key, "action", step, fail=step == req.get("fail_at")),
                    compensate=undo(step))
                ADOPTED.set(ctx, dict(adopted))
    except SagaFailed as err:
        STATUS.set(ctx, "rolled_back")
        return {"ok": False, "adopted": adopted, "compensated": err.outcome.compensated}
    STATUS.set(ctx, "booked")
    return {"ok": True, "adopted": adopted, "compensated": []}


@trips.handler(kind="shared")
async def describe(ctx: restate.ObjectSharedContext) -> dict:
    return {"adopted": await ADOPTED.get(ctx), "status": await STATUS.get(ctx)}


waits = rea_runtime.Workflow("ClusterWait", policy="strict")


@waits.main(name="run")
async def wait_run(ctx: restate.WorkflowContext) -> dict:
    key = ctx.key()
    before = await rea_runtime.run(ctx, "before", execute(key, "action", "before"))
    by = await ctx.promise("approval", type_hint=str).value()
    after = await rea_runtime.run(ctx, "after", execute(key, "action", "after"))
    return {"before": before, "after": after, "by": by}


@waits.handler()
async def approve(ctx: restate.WorkflowSharedContext, by: str) -> None:
    await ctx.promise("approval", type_hint=str).resolve(by)


app = rea_runtime.app([trips, waits, breaker_object])
