"""The app the crash tests serve in a child process (`rea_runtime.testing.process`).

Every side effect is a row in a sqlite file (``$REA_CRASH_DB``), committed before anything
else happens, so it survives the SIGKILL that the app deals itself at a requested point
(``kill_at``: ``"action:<step>"`` or ``"compensate:<step>"``, once per key). Counting rows
after the restart proves what ran, how often, and in which order.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from datetime import timedelta
from typing import Any, Optional

import restate
from restate import TerminalError

import rea_runtime
from rea_runtime import State
from rea_runtime.concurrency import fan_out, map_limited
from rea_runtime import saga as sagas
from rea_runtime.saga import Retry, Saga, SagaFailed, dead_letters
from rea_runtime.workflow import Approval, Status, approval_payload, with_timeout

STEPS = ("flight", "hotel", "car", "payment")


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(os.environ["REA_CRASH_DB"], timeout=10, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT, "
                 "kind TEXT, step TEXT, pid INTEGER)")
    conn.execute("CREATE TABLE IF NOT EXISTS kills (key TEXT, point TEXT, PRIMARY KEY (key, point))")
    conn.execute("CREATE TABLE IF NOT EXISTS repairs (key TEXT PRIMARY KEY)")
    return conn


def repaired(key: str) -> bool:
    """An operator fixed the backend of ``key`` (so a redrive can succeed)."""
    with _db() as conn:
        return conn.execute("SELECT 1 FROM repairs WHERE key = ?", (key,)).fetchone() is not None


def checkpoint(key: str, point: str, kill_at: list[str]) -> None:
    """SIGKILL this process the first time ``point`` is reached for ``key``, if requested."""
    if point not in kill_at:
        return
    with _db() as conn:
        if conn.execute("INSERT OR IGNORE INTO kills VALUES (?, ?)", (key, point)).rowcount:
            os.kill(os.getpid(), signal.SIGKILL)


def record(key: str, kind: str, step: str) -> None:
    with _db() as conn:
        conn.execute("INSERT INTO effects (key, kind, step, pid) VALUES (?, ?, ?, ?)", (key, kind, step, os.getpid()))


async def slow_item_started(key: str, seconds: float = 30.0) -> bool:
    """Poll (without blocking the event loop the slow item runs on) until a slow item of ``key``
    has recorded that it started: False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with _db() as conn:
            if conn.execute("SELECT 1 FROM effects WHERE key = ? AND kind = 'started'", (key,)).fetchone():
                return True
        await asyncio.sleep(0.05)
    return False


def effect(key: str, kind: str, step: str, kill_at: list[str], fail: bool = False, broken: bool = False,
           terminal: bool = False):
    def do() -> str:
        checkpoint(key, f"{kind}:{step}", kill_at)
        if broken and not repaired(key):
            record(key, "attempt", step)
            if terminal:
                raise TerminalError(f"{step} compensation refused")
            raise RuntimeError(f"{step} compensation backend is down")
        record(key, kind, step)
        if fail:
            raise TerminalError(f"{step} declined")
        return f"{step}-ok"

    return do


BOOKED = State("booked", list[str], default=[])
STATUS = State("status", Optional[str])

trips = rea_runtime.VirtualObject("CrashTrip", policy="strict")
undos = rea_runtime.VirtualObject("CrashUndo", policy="strict")


@undos.handler()
async def undo(ctx: restate.ObjectContext, req: dict) -> str:
    """A compensation handler of another service (a call / send target), keyed by the trip."""
    return await rea_runtime.run(ctx, "undo", effect(
        ctx.key(), "compensate", req["step"], req.get("kill_at", []), broken=req.get("broken", False), terminal=True))


def _compensation(req: dict, key: str, step: str, kill_at: list[str], broken: list[str]) -> Any:
    mode = req.get("comp", "run")
    if mode == "run":
        return effect(key, "compensate", step, kill_at, broken=step in broken, terminal=step in req.get("terminal", []))
    arg = {"step": step, "kill_at": kill_at, "broken": step in broken}
    if mode == "call":
        return sagas.call(undo, arg, key=key)
    if mode == "send":
        return sagas.send(undo, arg, key=key)
    return sagas.send(undo, arg, key=key, delay=timedelta(milliseconds=req.get("delay_ms", 200)))


@trips.handler()
async def book(ctx: restate.ObjectContext, req: dict) -> dict:
    key = ctx.key()
    kill_at: list[str] = req.get("kill_at", [])
    steps: list[str] = req.get("steps", list(STEPS))
    broken: list[str] = req.get("broken", [])
    order = req.get("order")  # business data: makes each compensation idempotent under its key
    saga = Saga(ctx, "trip", strategy=req.get("strategy", "all"),
                retry=Retry(max_attempts=2, initial_interval=timedelta(milliseconds=20)))
    try:
        async with saga:
            for step in steps:
                await saga.step(
                    step,
                    action=effect(key, "action", step, kill_at, fail=step == req.get("fail_at")),
                    compensate=_compensation(req, key, step, kill_at, broken),
                    key=f"undo-{order}-{step}" if order else None,
                )
                BOOKED.set(ctx, [*(await BOOKED.get(ctx) or []), step])
    except SagaFailed as err:
        booked = [s for s in await BOOKED.get(ctx) or [] if s not in err.outcome.compensated]
        BOOKED.set(ctx, booked)
        STATUS.set(ctx, "rolled_back")
        return {"ok": False, "error": err.message, "step": err.step, "compensated": err.outcome.compensated,
                "failed": err.outcome.failed, "skipped": err.outcome.skipped}
    STATUS.set(ctx, "booked")
    return {"ok": True}


@trips.handler(kind="shared")
async def describe(ctx: restate.ObjectSharedContext) -> dict[str, Any]:
    return {
        "booked": await BOOKED.get(ctx),
        "status": await STATUS.get(ctx),
        "dead_letters": [d.model_dump() for d in await dead_letters(ctx)],
    }


@trips.handler(kind="shared")
async def letters_of(ctx: restate.ObjectSharedContext, saga: str) -> list[dict]:
    return [d.model_dump() for d in await dead_letters(ctx, saga)]


@trips.handler()
async def admin_redrive(ctx: restate.ObjectContext, saga: str) -> list[dict]:
    """The operator's redrive: run compensations need their functions again, calls do not."""
    key = ctx.key()
    actions = {s: effect(key, "compensate", s, []) for s in STEPS}
    left = await sagas.redrive(ctx, saga, actions=actions, retry=Retry(max_attempts=1))
    return [d.model_dump() for d in left]


@trips.handler()
async def admin_clear(ctx: restate.ObjectContext, saga: str) -> int:
    return await sagas.clear_dead_letters(ctx, saga)


# -- a workflow waiting on a promise ------------------------------------------------------

WAIT_STATUS = Status()
waits = rea_runtime.Workflow("CrashWait", policy="strict")


@waits.main(name="run")
async def wait_run(ctx: restate.WorkflowContext, req: dict) -> dict:
    key = ctx.key()
    await rea_runtime.run(ctx, "before", effect(key, "action", "before-wait", []))
    await WAIT_STATUS.update(ctx, "waiting")
    decision = Approval.model_validate(
        await with_timeout(ctx, ctx.promise("approval").value(), timedelta(seconds=req.get("timeout", 30)),
                           what="approval"))
    await rea_runtime.run(ctx, "after", effect(key, "action", "after-wait", []))
    await WAIT_STATUS.update(ctx, "done", approved=decision.approved, by=decision.by)
    return decision.model_dump()


@waits.handler()
async def approve(ctx: restate.WorkflowSharedContext, by: str) -> None:
    await ctx.promise("approval").resolve(approval_payload(True, by))


@waits.handler()
async def status(ctx: restate.WorkflowSharedContext) -> dict:
    return (await WAIT_STATUS.read(ctx)).model_dump()


# -- a fan-out of handler calls ---------------------------------------------------------

fan = rea_runtime.Service("CrashFan", policy="strict")


@fan.handler()
async def work(ctx: restate.Context, req: dict) -> int:
    i = req["i"]
    if req.get("slow_ms"):
        invocation_id = ctx.request().id
        await rea_runtime.run(ctx, "started", lambda: record(req["key"], "started", f"{i}:{invocation_id}"))
        await ctx.sleep(timedelta(milliseconds=req["slow_ms"]))  # cancelled here, if it is
    if req.get("after_slow_start"):  # fail only once the slow item is in its sleep: no race with its start
        key = req["key"]

        async def slow_started() -> bool:
            return await slow_item_started(key)

        await rea_runtime.run(ctx, "slow item started", slow_started)
    result = await rea_runtime.run(
        ctx, "work", lambda: (effect(req["key"], "work", str(i), req["kill_at"])(), i * i)[1])
    if req.get("fail"):
        raise TerminalError(f"item {i} failed", status_code=422)
    return result


@fan.handler()
async def fail_fast(ctx: restate.Context, req: dict) -> dict:
    """Item 0 is slow, item 1 fails, item 2 is quick: the failure must cancel item 0."""
    key, kill_at = req["key"], req.get("kill_at", [])
    specs = [{"key": key, "i": 0, "kill_at": kill_at, "slow_ms": req["slow_ms"]},
             {"key": key, "i": 1, "kill_at": kill_at, "fail": True, "after_slow_start": True},
             {"key": key, "i": 2, "kill_at": kill_at}]
    try:
        if req["helper"] == "fan_out":
            await fan_out([ctx.service_call(work, s) for s in specs], fail_fast=True)
        else:
            await map_limited(specs, lambda s: ctx.service_call(work, s), limit=2)
    except TerminalError as err:
        await rea_runtime.run(ctx, "after", effect(key, "action", "after-failure", kill_at))
        return {"raised": err.message}
    return {"raised": None}


@fan.handler()
async def fan_in(ctx: restate.Context, req: dict) -> list[int]:
    key, kill_at = req["key"], req.get("kill_at", [])
    results = await map_limited(
        range(req["n"]),
        lambda i: ctx.service_call(work, {"key": key, "i": i, "kill_at": kill_at}),
        limit=req["limit"],
    )
    await rea_runtime.run(ctx, "fan-in", effect(key, "action", "fan-in", kill_at))
    return results


app = restate.app([trips, undos, waits, fan])
