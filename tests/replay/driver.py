"""Run the change-pair corpus on a real restate-server: park invocations on v1, deploy v2 in
place, resume them, and record what the server does with each one.

Each pair's v1 handler marks its suspension points with ``# park N`` comments: an awakeable
(its id is journaled by a run named ``publish``, so the driver can read it from `sys_journal`
and resolve it through the ingress), a workflow promise (resolved through the workflow's
``resolve`` shared handler), a sleep (it fires by itself) or a run whose action fails while v1
is deployed (`tests/replay/stall.py`: the invocation retries with the run's command journaled). For every point the driver parks
one invocation there, and after the swap resumes it, resolving whatever it waits on until the
server either completes the invocation, reports a 570 journal mismatch, or keeps retrying it on
a recorded result the new code cannot decode.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from rea_runtime.testing import RestateServer
from rea_runtime.testing.process import ProcessAppServer

CORPUS = Path(__file__).parent / "corpus"
APP = "tests.replay.serve_corpus:app"

_SERVICE = re.compile(r'^\s*(?:self\.)?svc = restate\.(?P<kind>Service|VirtualObject|Workflow)\("(?P<name>\w+)"\)', re.M)
_PARK = re.compile(r"#\s*park (\d+)\s*$")
_INPUT = re.compile(r"^# input: (.+)$", re.M)
_UNDECODABLE = re.compile(r"validation errors? for \w+|MissingValueError|missing value for field|wrong value type for field")
"""A recorded result the new code cannot decode: pydantic's ValidationError, dacite's MissingValueError or WrongTypeError."""


@dataclass
class Park:
    number: int
    kind: str
    """`awakeable`, `promise`, `sleep`, or `run` (a run action that fails until v2 is deployed)."""
    line: int
    """Its line in v1."""


@dataclass
class Pair:
    name: str
    """The module name (`p07_rename_run`)."""
    service: str
    kind: str
    handler: str
    parks: list[Park]
    nondeterministic: bool = False
    """Nondeterministic on purpose: v1 and v2 are the same code, and a 570 comes from a value
    that differs between the two processes (the cause `rea explain` must name is a finding)."""
    computed: bool = False
    """A value's computation changed on purpose (a mutation before `ctx.set`, a use moved across
    a reassignment): source cannot tell the bytes, so `rea diff` must say unknown, never
    compatible, and the server shows whether the change breaks."""
    input: Any = "x"
    """The input each invocation is sent (a `# input: <json>` line in v1)."""
    seeded: bool = False
    """The service has a `seed` handler, called (on v1, to its end) with each invocation's key
    before the invocation starts: state stored before the change, which the invocation reads."""
    exact: bool = False
    """Every invocation that breaks breaks at one index (a `# exact index:` line in v1): the one
    `rea diff` names, on no condition. Elsewhere its index is the earliest of any invocation's
    (one that ran a loop fewer times), which a parked invocation may break after."""

    @property
    def v1(self) -> Path:
        return CORPUS / "v1" / f"{self.name}.py"

    @property
    def v2(self) -> Path:
        return CORPUS / "v2" / f"{self.name}.py"


@dataclass
class Invocation:
    pair: Pair
    park: Park
    key: str | None
    id: str = ""
    commands_at_swap: int = 0
    outcome: str = ""
    """`completed`, `570`, `undecodable` (retried for good: the journal matched, a recorded result
    did not decode), or what else happened (`failed: ...`, `timeout: ...`)."""
    failure: str = ""
    row: dict[str, Any] = field(default_factory=dict)
    resolved: set[str] = field(default_factory=set)


def load_pairs() -> list[Pair]:
    pairs = []
    for path in sorted((CORPUS / "v1").glob("p*.py")):
        text = path.read_text()
        match = _SERVICE.search(text)
        assert match, f"{path}: no `svc = restate.<Kind>(\"name\")`"
        parks = []
        for number, line in enumerate(text.splitlines(), 1):
            mark = _PARK.search(line)
            if mark:
                kind = ("sleep" if "ctx.sleep(" in line else "promise" if "ctx.promise(" in line
                        else "run" if "stall(" in line else "awakeable")
                parks.append(Park(int(mark.group(1)), kind, number))
        assert parks, f"{path}: no `# park N` marker"
        handler = "run" if match["kind"] == "Workflow" else "go"
        pairs.append(Pair(path.stem, match["name"], match["kind"], handler, parks,
                          nondeterministic=text.startswith('"""Nondeterministic on purpose'),
                          computed=text.startswith('"""Computed on purpose'), exact="\n# exact index:" in text,
                          seeded="\nasync def seed(" in text, input=json.loads(given[1]) if (given := _INPUT.search(text)) else "x"))
    return pairs


class Corpus:
    """One server and one app process for the whole corpus."""

    def __init__(self, pairs: list[Pair]) -> None:
        self.pairs = pairs
        self.server = RestateServer(extra_env={
            "RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL": "50ms",
            "RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL": "2s",
            "RESTATE_DEFAULT_RETRY_POLICY__MAX_ATTEMPTS": "10000",
            "RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT": "300ms",
        })
        self.app = ProcessAppServer(APP, env={"REA_CORPUS": "v1"}, cwd=str(CORPUS.parents[2]))
        self.invocations: list[Invocation] = []
        self.client: httpx.Client | None = None
        self.swap_seconds = 0.0

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> "Corpus":
        self.server.start()
        self.app.start()
        self.server.register(self.app.url)
        self.client = httpx.Client(base_url=self.server.ingress_url, timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        self.app.stop()
        self.server.stop()

    def swap(self) -> None:
        """v2 replaces v1 at the same address: restart the process, re-register with force."""
        rows = self.rows()
        moved = [i.pair.name for i in self.invocations
                 if int(rows[i.id].get("journal_commands_size") or 0) != i.commands_at_swap]
        assert not moved, f"invocations moved past their park point before the swap: {moved}"
        start = time.monotonic()
        self.app.env["REA_CORPUS"] = "v2"
        self.app.restart()
        self.server.register(self.app.url)
        self.swap_seconds = time.monotonic() - start

    # --- the admin API --------------------------------------------------------------------

    def rows(self) -> dict[str, dict[str, Any]]:
        ids = ", ".join(f"'{i.id}'" for i in self.invocations if i.id)
        if not ids:
            return {}
        return {r["id"]: r for r in self.server.query(f"SELECT * FROM sys_invocation WHERE id IN ({ids})")}

    def journals(self) -> dict[str, list[dict[str, Any]]]:
        ids = ", ".join(f"'{i.id}'" for i in self.invocations if i.id)
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self.server.query(
            f"SELECT id, index, entry_type, name, promise_name, entry_json FROM sys_journal WHERE id IN ({ids}) ORDER BY id, index"
        ):
            out.setdefault(row["id"], []).append(row)
        return out

    @staticmethod
    def published(journal: list[dict[str, Any]]) -> list[str]:
        """The awakeable ids the handler journaled through its `publish` runs, in order."""
        out = []
        for row in journal:
            if row["entry_type"] != "Notification: Run":
                continue
            try:
                result = json.loads(row["entry_json"])["Notification"]["Completion"]["Run"]["result"]
                value = json.loads(bytes(result["Success"]))
            except (KeyError, TypeError, ValueError):
                continue
            if isinstance(value, str) and value.startswith("sign_"):
                out.append(value)
        return out

    @staticmethod
    def awaited_promise(journal: list[dict[str, Any]]) -> str | None:
        commands = [r for r in journal if r["entry_type"].startswith("Command:")]
        if not commands or commands[-1]["entry_type"] != "Command: GetPromise":
            return None
        last = commands[-1]
        if last.get("promise_name"):
            return last["promise_name"]
        try:
            return json.loads(last["entry_json"])["Command"]["GetPromise"]["key"]
        except (KeyError, TypeError, ValueError):
            return None

    # --- driving --------------------------------------------------------------------------

    def start(self, inv: Invocation) -> None:
        assert self.client is not None
        pair = inv.pair
        if pair.seeded:
            seeded = self.client.post(f"/{pair.service}/{inv.key}/seed", json="x")
            assert seeded.status_code < 300, f"{pair.name}: seed {seeded.status_code} {seeded.text}"
        path = f"/{pair.service}/{inv.key}/{pair.handler}/send" if inv.key else f"/{pair.service}/{pair.handler}/send"
        resp = self.client.post(path, json=pair.input)
        assert resp.status_code < 300, f"{pair.name}: {resp.status_code} {resp.text}"
        inv.id = resp.json()["invocationId"]

    def resolve_pending(self, inv: Invocation, journal: list[dict[str, Any]]) -> None:
        """Resolve what the (suspended) invocation waits on, once."""
        assert self.client is not None
        for awakeable in self.published(journal):
            if awakeable not in inv.resolved:
                resp = self.client.post(f"/restate/awakeables/{awakeable}/resolve", json="resumed")
                assert resp.status_code < 300, f"{inv.pair.name}: resolve {resp.status_code} {resp.text}"
                inv.resolved.add(awakeable)
        promise = self.awaited_promise(journal)
        if promise and f"promise:{promise}" not in inv.resolved:
            resp = self.client.post(f"/{inv.pair.service}/{inv.key}/resolve/send", json=promise)
            assert resp.status_code < 300, f"{inv.pair.name}: resolve promise {resp.status_code} {resp.text}"
            inv.resolved.add(f"promise:{promise}")

    def parked(self, inv: Invocation, row: dict[str, Any] | None, journal: list[dict[str, Any]]) -> bool:
        """Suspended at its park point (and nothing of an earlier point left to resolve)?"""
        if row is None:
            return False
        commands = [r for r in journal if r["entry_type"].startswith("Command:")]
        if int(row.get("journal_commands_size") or 0) != len(commands):
            return False  # the row and the journal were read at different moments
        if inv.park.kind == "run":  # retrying: its journal ends in the failing run's command
            return (int(row.get("retry_count") or 0) >= 1 and bool(commands)
                    and commands[-1]["entry_type"] == "Command: Run" and commands[-1].get("name") == "c")
        if row.get("status") != "suspended":
            return False
        published = self.published(journal)
        before = [p for p in inv.pair.parks if p.number < inv.park.number]
        if inv.park.kind == "awakeable":
            return len(published) == len([p for p in before if p.kind == "awakeable"]) + 1
        if inv.park.kind == "promise":
            return self.awaited_promise(journal) is not None
        return bool(commands) and commands[-1]["entry_type"] == "Command: Sleep"

    def park_all(self, invocations: list[Invocation], timeout: float = 180.0) -> None:
        """Start the invocations on v1 and bring each to its park point."""
        for inv in invocations:
            self.start(inv)
        self.invocations.extend(invocations)
        deadline = time.monotonic() + timeout
        waiting = list(invocations)
        while waiting:
            rows, journals = self.rows(), self.journals()
            still = []
            for inv in waiting:
                row, journal = rows.get(inv.id), journals.get(inv.id, [])
                if self.parked(inv, row, journal):
                    inv.commands_at_swap = int(row["journal_commands_size"])  # type: ignore[index]
                    continue
                consistent = row is not None and int(row.get("journal_commands_size") or 0) == len(
                    [r for r in journal if r["entry_type"].startswith("Command:")])
                if consistent and row.get("status") == "suspended":  # type: ignore[union-attr]
                    # suspended at an earlier point: resolve only the awakeables of the points before
                    before = len([p for p in inv.pair.parks if p.number < inv.park.number and p.kind == "awakeable"])
                    earlier = self.published(journal)[:before]
                    for awakeable in earlier:
                        if awakeable not in inv.resolved:
                            assert self.client is not None
                            self.client.post(f"/restate/awakeables/{awakeable}/resolve", json="early")
                            inv.resolved.add(awakeable)
                still.append(inv)
            waiting = still
            if waiting and time.monotonic() > deadline:
                raise AssertionError("never parked: " + ", ".join(f"{i.pair.name}@park{i.park.number} {rows.get(i.id, {}).get('status')}" for i in waiting))
            if waiting:
                time.sleep(0.1)

    def resume_all(self, timeout: float = 180.0) -> None:
        """After the swap: resolve what each waits on until the server completes it or reports 570."""
        deadline = time.monotonic() + timeout
        pending = [i for i in self.invocations if not i.outcome]
        while pending:
            rows, journals = self.rows(), self.journals()
            still = []
            for inv in pending:
                row = rows.get(inv.id) or {}
                inv.row = row
                failure = row.get("last_failure") or ""
                if row.get("status") == "completed":
                    if row.get("completion_result") == "success":
                        inv.outcome = "completed"
                    else:
                        inv.outcome = f"failed: {row.get('completion_failure')}"
                elif failure.startswith("[570") or row.get("last_failure_error_code") == "RT0016":
                    inv.outcome, inv.failure = "570", failure
                elif _UNDECODABLE.search(failure) and int(row.get("retry_count") or 0) >= 3:
                    # the journal matched, the recorded result did not decode, and it keeps failing so
                    inv.outcome, inv.failure = "undecodable", failure
                else:  # other failures may be transient (the app restarting): wait for the deadline
                    if row.get("status") == "suspended":
                        self.resolve_pending(inv, journals.get(inv.id, []))
                    still.append(inv)
            pending = still
            if pending and time.monotonic() > deadline:
                for inv in pending:
                    last = (inv.row.get("last_failure") or "").splitlines()[:1]
                    inv.outcome = f"timeout: {inv.row.get('status')} {' '.join(last)}".strip()
                break
            if pending:
                time.sleep(0.15)

    def kill_unfinished(self) -> None:
        for inv in self.invocations:
            if inv.outcome != "completed" and inv.id:
                self.server.kill_invocation(inv.id)


def plan(pairs: list[Pair]) -> tuple[list[Invocation], list[Invocation]]:
    """One invocation per park point: (those parked by awakeables/promises, those parked in a sleep)."""
    quick, sleeping = [], []
    for pair in pairs:
        for park in pair.parks:
            key = f"k-{uuid.uuid4().hex[:8]}" if pair.kind != "Service" else None
            inv = Invocation(pair, park, key)
            (sleeping if park.kind == "sleep" else quick).append(inv)
    return quick, sleeping
