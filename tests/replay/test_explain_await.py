"""`rea explain` of the 570 no index names: an `await` the new code cannot replay, on a real server.

v1 runs a run and sleeps; v2, deployed in place while invocations sleep, allocates two
awakeables and awaits the second before the sleep. When the timer fires, replay reaches that
`await` with the sleep still to replay and no completion of the awakeable in the journal:
restate-server 1.7.12 fails the invocation with "'await' could not be replayed", naming the
awakeable's id and no index, and the SDK's traceback names no line of the handler. rea explain
reads the awakeable's number from its id (the invocation's 2nd) and names the line that awaits
it; rea diff, before the deploy, calls the change breaking at the sleep. The samples beside the corpus's (tests/replay/samples/await_awakeable_inserted.*) were
captured from this code.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from rea_lint.cli import main
from rea_lint.explain.awaited import awakeable_number
from rea_lint.explain.message import parse_message
from rea_runtime.testing import RestateServer
from rea_runtime.testing.process import ProcessAppServer

SAMPLES = Path(__file__).parent / "samples"

V1 = '''\
from datetime import timedelta

import restate

probe = restate.VirtualObject("Exp")
SLEEP = timedelta(seconds=2)


@probe.handler()
async def awk_inserted(ctx: restate.ObjectContext, x: str) -> str:
    await ctx.run("a", lambda: 1)
    await ctx.sleep(SLEEP)
    return "ok"

app = restate.app([probe])
'''

V2 = V1.replace('''    await ctx.run("a", lambda: 1)
    await ctx.sleep(SLEEP)''', '''    await ctx.run("a", lambda: 1)
    _, first = ctx.awakeable()
    _, gate = ctx.awakeable()
    await gate
    await ctx.sleep(SLEEP)''')
AWAIT_LINE = V2.splitlines().index("    await gate") + 1


def _explain(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["explain", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_the_awakeable_number_is_read_from_its_id():
    """The id's last four bytes are the signal index: 17 is an invocation's first awakeable."""
    for sample in ("server_log", "last_failure", "sdk_log"):
        m = parse_message((SAMPLES / f"await_awakeable_inserted.{sample}.txt").read_text())
        assert m.kind == "await" and m.command_index is None
        assert [awakeable_number(n) for n in m.notifications] == [2, None], m.notifications
    assert awakeable_number("Awakeable sign_1VIrjy6VAVbPlkHInNBPYLbAwYjhpdMCCAAAAEQ") == 1
    assert awakeable_number("Awakeable sign_1!!") is None and awakeable_number("Cancellation") is None


def test_from_the_samples_the_line_that_awaits_it(capsys, monkeypatch, tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "old").mkdir()
    (tmp_path / "new" / "app.py").write_text(V2)
    (tmp_path / "old" / "app.py").write_text(V1)
    monkeypatch.chdir(tmp_path)
    text = (SAMPLES / "await_awakeable_inserted.server_log.txt").read_text()
    code, data = _explain(capsys, "new/app.py", "--message", text)
    assert code == 0 and data["line"] == f"new/app.py:{AWAIT_LINE}" and data["code"] == "await gate", data
    assert data["awakeable"] == {"number": 2, "made": f"new/app.py:{AWAIT_LINE - 1}"}
    code, data = _explain(capsys, "new/app.py", "--since", "old/app.py", "--message", text)
    assert code == 0 and data["diff_verdict"] == "breaking" and data["diff_index"] == 2 and data["cause_decided"]
    assert "rea diff says breaking at journal index 2" in data["cause"], data["cause"]
    assert "waits on the invocation's 2nd awakeable (`await gate`" in data["cause"], data["cause"]
    # `last_failure` and the SDK's log name no handler: with it named, the same line
    for sample in ("last_failure", "sdk_log"):
        text = (SAMPLES / f"await_awakeable_inserted.{sample}.txt").read_text()
        code, data = _explain(capsys, "new/app.py", "--message", text)
        assert code == 1 and data["line"] is None and "--handler" in data["undecided"]
        code, data = _explain(capsys, "new/app.py", "--message", text, "--handler", "Exp/awk_inserted")
        assert code == 0 and data["line"] == f"new/app.py:{AWAIT_LINE}"
    assert main(["explain", "new/app.py", "--message", (SAMPLES / "await_awakeable_inserted.server_log.txt").read_text()]) == 0
    out = capsys.readouterr().out
    assert "  awaited:   Awakeable sign_1VIrjy6VAVbOmvHBLoAe-xBQrGtyMvXo_AAAAEg, Cancellation\n" in out, out
    assert (f"  line:      new/app.py:{AWAIT_LINE}  `await gate`: the code awaits the invocation's 2nd awakeable "
            f"(`ctx.awakeable()`, new/app.py:{AWAIT_LINE - 1})") in out, out


def test_where_the_awaited_awakeable_cannot_be_told_no_line(capsys, monkeypatch, tmp_path):
    """The 2nd awakeable made on one line or another by the way taken, awaited twice, or never
    made: rea says why and names no line."""
    text = (SAMPLES / "await_awakeable_inserted.server_log.txt").read_text()
    bodies = {
        "depends on the way": ('    _, first = ctx.awakeable()\n    if x:\n        _, gate = ctx.awakeable()\n'
                               '    else:\n        _, gate = ctx.awakeable()\n    await gate\n',
                               "the 2nd awakeable is made at app.py:"),
        "awaited twice": ('    _, first = ctx.awakeable()\n    _, gate = ctx.awakeable()\n    await gate\n    await gate\n',
                          "`gate` is awaited 2 times in `awk_inserted`"),
        "never made": ('    _, gate = ctx.awakeable()\n    await gate\n', "no way through the current code makes a 2nd awakeable"),
    }
    monkeypatch.chdir(tmp_path)
    for what, (body, why) in bodies.items():
        source = V1.replace('    await ctx.run("a", lambda: 1)\n', '    await ctx.run("a", lambda: 1)\n' + body)
        Path("app.py").write_text(source)
        code, data = _explain(capsys, "app.py", "--message", text)
        assert code == 1 and data["line"] is None, (what, data)
        assert why in data["undecided"], (what, data["undecided"])


@pytest.fixture(scope="module")
def stalled(tmp_path_factory):
    """An invocation parked at v1's sleep, replayed on v2: (server, its id, v2's directory)."""
    root = tmp_path_factory.mktemp("await_probe")
    (root / "v1.py").write_text(V1)
    (root / "v2.py").write_text(V2)
    for side, text in (("old", V1), ("new", V2)):  # (the two sides of `rea diff`: directories)
        (root / side).mkdir()
        (root / side / "app.py").write_text(text)
    server = RestateServer(extra_env={"RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL": "50ms",
                                      "RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL": "300ms"}).start()
    app = ProcessAppServer("v1:app", cwd=str(root)).start()
    try:
        server.register(app.url)
        resp = httpx.post(f"{server.ingress_url}/Exp/k1/awk_inserted/send", json="x", timeout=30)
        assert resp.status_code < 300, resp.text
        deadline = time.monotonic() + 30
        while not any("Sleep" in (r["entry_type"] or "") for r in server.query("SELECT entry_type FROM sys_journal")):
            assert time.monotonic() < deadline, "the invocation never reached its sleep"
            time.sleep(0.1)
        app.target = "v2:app"  # the same address, new code
        app.restart()
        deadline = time.monotonic() + 40
        while True:
            rows = server.query("SELECT id, last_failure FROM sys_invocation WHERE target_handler_name = 'awk_inserted'")
            if rows and "could not be replayed" in (rows[0]["last_failure"] or ""):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.2)
        yield server, rows[0]["id"], rows[0]["last_failure"], root
        server.kill_invocation(rows[0]["id"])
    finally:
        app.stop()
        server.stop()


def test_on_a_real_server_the_await_names_the_awakeable_and_explain_the_line(stalled, capsys, monkeypatch):
    server, invocation, failure, root = stalled
    assert failure.startswith("[570 Journal mismatch]") and "'await' could not be replayed" in failure, failure
    m = parse_message(failure)
    assert m.kind == "await" and m.command_index is None
    assert [awakeable_number(n) for n in m.notifications] == [2, None], m.notifications
    monkeypatch.chdir(root)
    # from the invocation id (the admin API names the handler) and from the server's log record
    code, data = _explain(capsys, "v2.py", "--invocation-id", invocation, "--admin-url", server.admin_url)
    assert code == 0 and data["line"] == f"v2.py:{AWAIT_LINE}" and data["code"] == "await gate", data
    log = server.log_tail(10_000_000)
    record = next(block for block in re.split(r"\n(?=\S*\s*\S*WARN)", log)
                  if invocation in block and "could not be replayed" in block)
    code, data = _explain(capsys, "v2.py", "--since", "v1.py", "--message", record)
    assert code == 0 and data["line"] == f"v2.py:{AWAIT_LINE}" and data["diff_verdict"] == "breaking", data


def test_on_a_real_server_rea_diff_predicted_the_stall(stalled, capsys, monkeypatch):
    """The invocation suspended at v1's sleep (journal: the run, the sleep) stalls at v2's
    `await gate`; rea diff said so before the deploy: breaking at journal index 2 (the sleep),
    for every invocation that journaled it (v1 makes no awakeable)."""
    server, invocation, failure, root = stalled
    monkeypatch.chdir(root)
    assert main(["diff", "--base", "old", "--head", "new", "--format", "json"]) == 1
    (handler,) = json.loads(capsys.readouterr().out)["handlers"]
    assert handler["verdict"] == "breaking" and handler["divergence"]["index"] == 2, handler
    assert handler["divergence"]["new"]["line"] == AWAIT_LINE and handler["divergence"]["old"]["line"] == V1.splitlines().index(
        "    await ctx.sleep(SLEEP)") + 1
    assert "which no invocation stopped at `ctx.sleep(SLEEP)`" in handler["reason"], handler["reason"]
    # the server: 570 on that await, for the invocation that had journaled the sleep
    journal = server.query(f"SELECT entry_type FROM sys_journal WHERE id = '{invocation}'")
    assert any("Sleep" in (r["entry_type"] or "") for r in journal)
    assert "could not be replayed" in failure
