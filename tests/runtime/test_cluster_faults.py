"""Sagas, workflows and the circuit breaker on a real 3-node Restate cluster while nodes (the
partition leaders included) and the service process are SIGKILLed and restarted.

Three restate-server processes on loopback (replicated metadata and log, replication 2), the app
in a killable child process. A seeded schedule deals at least 20 kills at bounded random points
while trips and workflows are submitted; then every result is collected and checked:

- every trip finished once with the expected outcome; its adopted step tokens (the journaled
  results) are each one real execution, state agrees with the result;
- every rolled-back trip compensated each step exactly once, last-in first-out;
- every workflow ran its main handler exactly once and finished with its promise's value;
- the breaker ends closed, with no failure counted.

A step's code can run again when a crash loses its result before the journal has it
(at-least-once execution, which is why effects need idempotency keys); those re-executions are
counted and reported, never adopted twice. Bounded: the schedule, every wait and the whole test
have deadlines; it stops by itself. Seed: ``REA_FAULT_SEED`` (default 17); figures are printed
and, with ``REA_FAULT_REPORT=path``, written as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from rea_runtime.testing.cluster import Cluster
from rea_runtime.testing.process import ProcessAppServer

SEED = int(os.environ.get("REA_FAULT_SEED", "17"))
KILLS = int(os.environ.get("REA_FAULT_KILLS", "24"))
TRIPS = 48
WORKFLOWS = 16
SAGA_STEPS = ["flight", "hotel", "payment"]
DEADLINE = 240.0  # seconds for the whole test, start to verdict


class Faults:
    def __init__(self, cluster: Cluster, app: ProcessAppServer, rng: random.Random) -> None:
        self.cluster, self.app, self.rng = cluster, app, rng
        self.log: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self.finished = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def leaders(self) -> set[str]:
        """The metadata-cluster leader right now (nodes log when they win it)."""
        leader = self.cluster.leader()
        return {leader} if leader else set()

    def one(self, n: int) -> None:
        nodes = self.cluster.nodes
        # Every fourth fault hits the service process, every sixth the metadata leader of the
        # moment; the rest pick a node at (seeded) random.
        leaders = self.leaders()
        if n % 4 == 3:
            target = "service"
        elif n % 6 == 2 and leaders:
            target = next(iter(leaders))
        else:
            target = self.rng.choice([node.name for node in nodes])
        down_for = self.rng.uniform(0.2, 1.5)
        at = round(time.monotonic() - self.started, 2)
        if target == "service":
            self.app.kill()
            time.sleep(down_for)
            self.app.restart()
        else:
            node = next(x for x in nodes if x.name == target)
            node.kill()
            time.sleep(down_for)
            self.cluster.restart(node)
        self.log.append({"n": n, "at_s": at, "target": target, "was_leader": target in leaders,
                         "leaders": sorted(leaders), "down_s": round(down_for, 2)})

    def run(self, kills: int) -> None:
        try:
            for n in range(kills):
                time.sleep(self.rng.uniform(0.3, 2.0))
                self.one(n)
        except BaseException as err:  # noqa: BLE001 - reported by the test
            self.error = err
        finally:
            self.finished.set()
        # Restarted processes die with the thread that started them (PR_SET_PDEATHSIG):
        # keep it until the test is done with the cluster.
        self.release.wait(DEADLINE)

    def start(self, kills: int) -> None:
        self.thread = threading.Thread(target=self.run, args=(kills,), name="rea-faults", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        if self.thread is not None:
            self.thread.join(30)


class Client:
    """Ingress requests that fail over between the cluster's nodes (a load balancer's job)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.http = httpx.AsyncClient(timeout=20)
        self.failovers = 0

    async def request(self, method: str, path: str, *, deadline: float, **kw: Any) -> httpx.Response:
        i = 0
        last = ""
        while time.monotonic() < deadline:
            nodes = self.cluster.live() or self.cluster.nodes
            node = nodes[i % len(nodes)]
            i += 1
            try:
                resp = await self.http.request(method, node.ingress_url + path, **kw)
            except httpx.HTTPError as err:
                last = repr(err)
            else:
                retriable = resp.status_code in (502, 503, 504) or (
                    resp.status_code == 404 and "service" in resp.text.lower())
                if not retriable:
                    return resp
                last = f"{resp.status_code} {resp.text[:200]}"
            self.failovers += 1
            await asyncio.sleep(0.2)
        raise AssertionError(f"{method} {path}: no answer before the deadline; last: {last}")


def _runs(db: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return [tuple(r) for r in conn.execute("SELECT key, kind, step, token FROM runs ORDER BY seq")]


async def _drive(cluster: Cluster, faults: Faults, deadline: float) -> dict[str, Any]:
    client = Client(cluster)
    trips = [f"trip-{SEED}-{i}" for i in range(TRIPS)]
    flows = [f"flow-{SEED}-{i}" for i in range(WORKFLOWS)]
    failing = {key for i, key in enumerate(trips) if i % 3 == 0}
    faults.start(KILLS)

    async def submit_trip(key: str) -> None:
        body = {"fail_at": "payment" if key in failing else None}
        resp = await client.request("POST", f"/ClusterTrip/{key}/book/send", json=body, deadline=deadline,
                                    headers={"idempotency-key": f"book-{key}"})
        assert resp.status_code in (200, 202), resp.text

    async def submit_flow(key: str) -> None:
        resp = await client.request("POST", f"/ClusterWait/{key}/run/send", deadline=deadline)
        assert resp.status_code in (200, 202), resp.text
        await asyncio.sleep(2.0)
        resp = await client.request("POST", f"/ClusterWait/{key}/approve", json="driver", deadline=deadline,
                                    headers={"idempotency-key": f"approve-{key}"})
        assert resp.status_code == 200, resp.text

    # Load spread over the fault schedule: a trip every ~0.6 s, a workflow every ~2 s.
    submissions = []
    for i in range(max(TRIPS, WORKFLOWS * 3)):
        if i < TRIPS:
            submissions.append(asyncio.create_task(submit_trip(trips[i])))
        if i % 3 == 0 and i // 3 < WORKFLOWS:
            submissions.append(asyncio.create_task(submit_flow(flows[i // 3])))
        await asyncio.sleep(0.6)
    await asyncio.gather(*submissions)
    await asyncio.to_thread(faults.finished.wait, DEADLINE)
    if faults.error is not None:
        raise faults.error

    async def attach(path: str) -> Any:
        while True:
            resp = await client.request("GET", path, deadline=deadline)
            if resp.status_code == 200:
                return resp.json()
            if resp.status_code == 500 and "ClusterTrip" not in path:
                raise AssertionError(f"{path}: {resp.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: {resp.status_code} {resp.text}")
            await asyncio.sleep(0.5)

    trip_results = {key: await attach(f"/restate/invocation/ClusterTrip/{key}/book/book-{key}/attach")
                    for key in trips}
    flow_results = {key: await attach(f"/restate/workflow/ClusterWait/{key}/attach") for key in flows}
    described = {}
    for key in trips:
        resp = await client.request("POST", f"/ClusterTrip/{key}/describe", deadline=deadline)
        described[key] = resp.json()
    breaker = (await client.request("POST", "/CircuitBreaker/cluster-quotes/status", deadline=deadline)).json()
    await client.http.aclose()
    return {"trips": trip_results, "flows": flow_results, "failing": failing, "described": described,
            "breaker": breaker, "failovers": client.failovers}


def test_saga_workflow_breaker_survive_node_and_process_kills(tmp_path: Path) -> None:
    started = time.monotonic()
    deadline = started + DEADLINE
    db = tmp_path / "runs.sqlite"
    rng = random.Random(SEED)
    with Cluster() as cluster:
        cluster.start()
        app = ProcessAppServer("tests.runtime.cluster_app:app", env={"REA_CLUSTER_DB": str(db)}).start()
        faults = Faults(cluster, app, rng)
        try:
            cluster.register(app.url)
            out = asyncio.run(_drive(cluster, faults, deadline))
            invocations = cluster.query(
                "SELECT target_service_key AS key, status FROM sys_invocation "
                "WHERE target_service_name = 'ClusterWait' AND target_handler_name = 'run'")
        finally:
            app.stop()
            faults.stop()
    runs = _runs(db)
    elapsed = time.monotonic() - started

    # -- the fault schedule really happened ----------------------------------------------------
    log = faults.log
    assert len(log) == KILLS >= 20
    by_target = Counter(e["target"] for e in log)
    assert set(by_target) == {"n1", "n2", "n3", "service"}, by_target
    leader_kills = sum(e["was_leader"] for e in log)
    assert leader_kills >= 2, log  # the leader went down too, more than once

    # -- trips: finished once, adopted once, compensated exactly once, LIFO ----------------------
    executions = Counter((k, kind, step) for k, kind, step, _ in runs)
    tokens = {t: (k, kind, step) for k, kind, step, t in runs}
    for key, result in out["trips"].items():
        expect_fail = key in out["failing"]
        assert result["ok"] is (not expect_fail), (key, result)
        forward = ["flight", "hotel", "quote"] + ([] if expect_fail else ["payment"])
        assert sorted(result["adopted"]) == sorted(forward), (key, result)
        for step, token in result["adopted"].items():
            assert tokens.get(token) == (key, "action", step), (key, step)  # one real execution, adopted once
        if expect_fail:
            assert result["compensated"] == ["payment", "hotel", "flight"], (key, result)
            for step in SAGA_STEPS:
                assert executions[(key, "compensate", step)] >= 1
        else:
            assert result["compensated"] == [] and not any(executions[(key, "compensate", s)] for s in SAGA_STEPS)
        state = out["described"][key]
        assert state["status"] == ("rolled_back" if expect_fail else "booked"), (key, state)
        # State is written after each saga step: the last write of a rolled-back trip was after "hotel".
        written = {s: result["adopted"][s] for s in ("flight", "hotel")} if expect_fail else result["adopted"]
        assert state["adopted"] == written, (key, state)

    # -- workflows: the main handler ran once and finished ----------------------------------------
    per_flow = Counter(r["key"] for r in invocations)
    for key, result in out["flows"].items():
        assert result["by"] == "driver"
        assert tokens.get(result["before"]) == (key, "action", "before")
        assert tokens.get(result["after"]) == (key, "action", "after")
        assert per_flow[key] == 1, (key, per_flow[key])
    assert all(r["status"] == "completed" for r in invocations)

    # -- the breaker: closed, nothing counted as a failure -----------------------------------------
    assert out["breaker"]["state"] == "closed" and out["breaker"]["failures"] == 0, out["breaker"]

    reexecuted = {kind: sum(n - 1 for (k, kd, s), n in executions.items() if kd == kind and n > 1)
                  for kind in ("action", "compensate")}
    report = {
        "seed": SEED, "kills": len(log), "by_target": dict(by_target), "leader_kills": leader_kills,
        "trips": len(out["trips"]), "rolled_back": len(out["failing"]), "workflows": len(out["flows"]),
        "executions": len(runs), "reexecuted_not_adopted": reexecuted, "ingress_failovers": out["failovers"],
        "elapsed_s": round(elapsed, 1), "schedule": log,
    }
    print(json.dumps({k: v for k, v in report.items() if k != "schedule"}))
    for event in log:
        print("fault", json.dumps(event))
    if os.environ.get("REA_FAULT_REPORT"):
        Path(os.environ["REA_FAULT_REPORT"]).write_text(json.dumps(report, indent=2))
    assert elapsed < DEADLINE + 30

