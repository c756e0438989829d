"""What the protocol compares, checked on a real restate-server, and `rea diff` agreeing.

Invocations of every handler of `diff_probe/v1.py` suspend at a sleep; the service process is
replaced by `diff_probe/v2.py` at the same address (registered once); when the timers fire the
server replays each journal on v2. For each handler, rea's prediction for an invocation
suspended at that sleep (it breaks iff the handler's verdict diverges at or before the sleep's
journal index) must match what the server did: complete, or fail with 570 Journal mismatch.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from rea_lint.journal.compare import Verdict, compare_handlers
from rea_lint.journal.ops import OpKind
from rea_lint.journal.paths import enumerate_paths
from rea_lint.journal.shape import shapes_of_source
from rea_runtime.testing import RestateServer
from rea_runtime.testing.process import ProcessAppServer

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).resolve().parent / "diff_probe"

# handler -> what the server does with an invocation suspended at the sleep (observed; the
# test asserts it again on every run)
EXPECTED = {
    "inserted_run": "570",          # a run inserted before the sleep
    "sleep_duration": "completed",  # the duration is not compared
    "sleep_name": "570",            # the name is
    "state_entry_name": "570",      # a state operation's entry_name is compared
    "state_value": "570",           # set state compares the value bytes
    "send_delay": "completed",      # a send's delay is not compared
    "call_parameter": "570",        # a call compares its parameter bytes
    "renamed_after_sleep": "completed",  # not yet journaled when the invocation suspended
    "awakeable_inserted": "completed",   # ctx.awakeable() writes no command
    "inside_run_action": "completed",    # a run action's code is not journaled
}


def _predictions() -> dict[str, tuple[str, Verdict, int | None, int]]:
    old = shapes_of_source((PROBE / "v1.py").read_text(), "v1.py")
    new = shapes_of_source((PROBE / "v2.py").read_text(), "v2.py")
    out = {}
    for handler in EXPECTED:
        key = ("DiffProbe", handler)
        diff = compare_handlers(old[key], new[key])
        (path,) = enumerate_paths(old[key].shape)
        suspended = next(i + 1 for i, op in enumerate(path.journal) if op.kind is OpKind.SLEEP)
        index = diff.divergence.index if diff.divergence is not None else None
        breaks = diff.verdict is Verdict.BREAKING and index is not None and index <= suspended
        assert diff.verdict in (Verdict.BREAKING, Verdict.COMPATIBLE), diff.reason
        out[handler] = ("570" if breaks else "completed", diff.verdict, index, suspended)
    return out


def test_rea_predictions_from_source_alone():
    predicted = _predictions()
    assert {h: p[0] for h, p in predicted.items()} == EXPECTED
    assert predicted["renamed_after_sleep"][1:] == (Verdict.BREAKING, 2, 1)  # breaks only invocations past the sleep
    assert predicted["sleep_duration"][1] is Verdict.COMPATIBLE


@pytest.fixture(scope="module")
def server():
    s = RestateServer(extra_env={
        "RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL": "50ms",
        "RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL": "300ms",
    }).start()
    yield s
    s.stop()


def _rows(server: RestateServer) -> dict[str, dict]:
    rows = server.query(
        "SELECT id, target_handler_name, status, last_failure, last_failure_related_command_index FROM sys_invocation"
    )
    return {r["target_handler_name"]: r for r in rows if r["target_handler_name"] in EXPECTED}


def _sleeping(server: RestateServer, rows: dict[str, dict]) -> bool:
    """Has every invocation journaled its sleep (its timer is running)?"""
    journal = server.query("SELECT id, entry_type FROM sys_journal")
    slept = {r["id"] for r in journal if "Sleep" in (r["entry_type"] or "")}
    return all(r["id"] in slept and r["status"] != "completed" for r in rows.values())


def test_server_agrees_with_rea_diff(server):
    app = ProcessAppServer("tests.runtime.diff_probe.v1:app", cwd=str(ROOT)).start()
    try:
        server.register(app.url)
        with httpx.Client(timeout=30) as client:
            for handler in EXPECTED:
                resp = client.post(f"{server.ingress_url}/DiffProbe/{handler}/{handler}/send", json="x")
                assert resp.status_code < 300, resp.text
        deadline = time.monotonic() + 30
        while True:  # every invocation recorded its journal up to the sleep and suspended
            rows = _rows(server)
            if len(rows) == len(EXPECTED) and _sleeping(server, rows):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.1)
        app.target = "tests.runtime.diff_probe.v2:app"  # the same address, new code
        app.restart()
        deadline = time.monotonic() + 40
        while True:
            rows = _rows(server)
            outcome = {
                h: "completed" if r["status"] == "completed" else "570" if "[570" in (r.get("last_failure") or "") else None
                for h, r in rows.items()
            }
            if all(outcome.values()):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.2)
    finally:
        app.stop()
    assert outcome == EXPECTED
    predicted = _predictions()
    agreement = {h: (outcome[h], predicted[h][0]) for h in EXPECTED}
    assert all(server_says == rea_says for server_says, rea_says in agreement.values()), agreement
    assert len(agreement) == 10
    # where it broke, the server reports the index rea names
    for handler, (_, verdict, index, _) in predicted.items():
        if outcome[handler] == "570":
            assert rows[handler]["last_failure_related_command_index"] == index, (handler, rows[handler])
