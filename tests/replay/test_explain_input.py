"""`rea explain` on input it must question: old code that does not parse, admin URLs and answers
of the wrong shape, input without bound, odd or partial messages.

Each case is a real file, real stdin or a real HTTP server (the standard library's, in a
thread, answering what a broken or foreign admin API might): one clear line and exit 2 for
bad input, or an explanation that says what it could not tell, never a traceback.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from rea_lint.cli import main

from rea_lint.explain.message import parse_message

from .test_explain import PAIRS, ROOT, V2, WRAPPERS, _closed_port, explain, sample, wrapped

V1 = "tests/replay/corpus/v1"
PAIR = "p29_helper_renamed_run"


def test_since_code_that_does_not_parse_is_named_and_blamed_for_nothing(tmp_path: Path, capsys, monkeypatch):
    """The old file defines the service, then breaks: the handler is missing from what rea could
    read of it, which proves no code change."""
    broken = tmp_path / "old.py"
    broken.write_text('import restate\n\nsvc = restate.Service("P29_helper_renamed_run")\ndef f(:\n    pass\n')
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--since", str(broken), "--format", "json",
                              "--message", sample(f"{PAIR}.server_log.txt"))
    assert code == 0, err  # the line is still known
    assert not data["cause_decided"] and "did not exist" not in data["cause"]
    assert f"{broken}:4:7: syntax error: invalid syntax" in data["cause"]
    assert data["problems"] == [f"the code --since {broken} names: {broken}:4:7: syntax error: invalid syntax"]
    # the same from a directory holding it (and its text output)
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--since", str(tmp_path),
                              "--message", sample(f"{PAIR}.server_log.txt"))
    assert code == 0 and data is None
    assert "cannot be parsed (old.py:4:7: syntax error: invalid syntax)" in err and "did not exist" not in err


INV = "inv_16XVcLFi3onC5S3bZLvRCECatZDxD0Iqej"


def one_line_error(capsys, monkeypatch, *argv: str) -> str:
    """Run `rea explain`: it must fail with exit 2 and one line on stderr, no traceback; that line."""
    code, data, err = explain(capsys, monkeypatch, *argv)
    assert code == 2 and data is None, err
    assert err.startswith("rea: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("url, says", [
    ("http://[::1", "--admin-url 'http://[::1' is not a URL (Invalid IPv6 URL): write it as http://HOST:PORT"),
    ("http://localhost:abc", "is not a URL (Port could not be cast"),
    ("http://localhost:99999", "is not a URL (Port out of range"),
    ("localhost:9070", "--admin-url 'localhost:9070' has no scheme: write http://localhost:9070"),
    ("file:///etc/passwd", "the admin API is served over http or https, not file"),
    ("ftp://localhost/", "the admin API is served over http or https, not ftp"),
    ("http://:9070", "names no host"),
])
def test_an_admin_url_that_is_no_http_url_is_refused_before_use(capsys, monkeypatch, url, says):
    assert says in one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)


MESSAGE = "[570 Journal mismatch] - The mismatch happened while executing 'run' (index '1')"


@pytest.mark.parametrize("argv, says", [
    (["--invocation-id", "", "--admin-url", "http://127.0.0.1:1"], "--invocation-id is empty: give the id of the failing invocation"),
    (["--invocation-id", INV, "--admin-url", " "], "--admin-url is empty: give the server's admin API"),
    (["--message-file", ""], "--message-file is empty"),
    (["--handler", "", "--message", MESSAGE], "--handler is empty"),
    (["--since", "", "--message", MESSAGE], "--since is empty: give the deployed code"),
])
def test_an_empty_option_is_named_not_taken_as_absent(capsys, monkeypatch, argv, says):
    assert says in one_line_error(capsys, monkeypatch, V2, *argv)


@pytest.mark.parametrize("since", ["./nodir/", "nodir/", "old/orders.py", "/no/such/dir"])
def test_since_a_path_that_does_not_exist_says_so(capsys, monkeypatch, since):
    err = one_line_error(capsys, monkeypatch, V2, "--since", since, "--message", MESSAGE)
    assert f"--since {since}: no such file or directory; give the directory or file that holds the deployed code" in err
    assert "rea diff" not in err


def test_since_a_name_outside_a_repository_is_no_revision_either(tmp_path: Path, capsys, monkeypatch):
    (tmp_path / "svc.py").write_text((Path(__file__).parent / "corpus" / "v2" / f"{PAIR}.py").read_text())
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    code = main(["explain", "svc.py", "--since", "olddir", "--message", MESSAGE])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"--since olddir: no file or directory of that name, and {tmp_path} is not inside a git repository" in err
    assert "rea diff" not in err


@dataclass(frozen=True)
class Redirect:
    """An answer that sends the client elsewhere (`location`), with an HTTP status 3xx."""

    location: str
    status: int = 302


class _AdminHandler(BaseHTTPRequestHandler):
    """`POST /query`: the JSON body the test's ``answer`` gives for the SQL it was sent (or the
    redirect it gives). Any other method is answered 501 (http.server's own answer)."""

    server: "_AdminServer"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        sql = json.loads(self.rfile.read(int(self.headers["content-length"])))["query"]
        answer = self.server.answer(sql)
        if isinstance(answer, Redirect):
            self.send_response(answer.status)
            self.send_header("location", answer.location)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _AdminServer(ThreadingHTTPServer):
    answer: Callable[[str], object]


@contextmanager
def admin_api(answer: Callable[[str], object]) -> Iterator[str]:
    """A real HTTP server on a free port, in a thread, answering as ``answer(sql)`` says; its URL."""
    server = _AdminServer(("127.0.0.1", 0), _AdminHandler)
    server.answer = answer
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def invocation(**columns: object) -> dict[str, object]:
    """A `sys_invocation` row of an invocation retried after the p29 mismatch, with ``columns`` changed."""
    row: dict[str, object] = {"id": INV, "status": "backing-off", "target": "P29_helper_renamed_run/go",
                              "last_failure": sample(f"{PAIR}.last_failure.txt"), "last_failure_error_code": "RT0016"}
    row.update(columns)
    return row


def answers(inv: object, journal: object = ()) -> Callable[[str], object]:
    """The admin API's answers: ``inv`` for the `sys_invocation` query, ``journal`` for `sys_journal`."""
    return lambda sql: {"rows": inv if "sys_invocation" in sql else list(journal)}  # type: ignore[arg-type]


@pytest.mark.parametrize("answer, says", [
    pytest.param(lambda sql: {"rows": [1, 2]}, "/query answered a row that is no JSON object (1)", id="rows-not-objects"),
    pytest.param(answers([invocation(last_failure=42)]),
                 "/query answered sys_invocation.last_failure = 42, expected text or null", id="last_failure-int"),
    pytest.param(answers([invocation(status=["backing-off"])]),
                 'sys_invocation.status = ["backing-off"], expected text or null', id="status-list"),
    pytest.param(answers([invocation(target=12345)]),
                 "/query answered sys_invocation.target = 12345, expected text or null", id="target-int"),
    pytest.param(answers([invocation(target="12345")]),
                 'sys_invocation.target = "12345", expected Service/handler or Object/key/handler', id="target-no-slash"),
    pytest.param(answers([invocation(last_failure_related_command_name=7)]),
                 "sys_invocation.last_failure_related_command_name = 7", id="related-name-int"),
    pytest.param(answers([invocation()], [{"index": "x", "entry_type": "Command: Input"}]),
                 'answered sys_journal.index = "x", expected a journal index (a whole number from 0) or null',
                 id="journal-index-text"),
    pytest.param(answers([invocation()], [{"index": 0, "entry_type": 5}]),
                 "answered sys_journal.entry_type = 5, expected text or null", id="entry_type-int"),
    pytest.param(answers([invocation()], [{"index": 0, "entry_type": "Command: Input", "name": {"a": 1}}]),
                 'answered sys_journal.name = {"a": 1}', id="name-object"),
])
def test_an_admin_answer_of_the_wrong_shape_is_one_line_naming_the_url_and_the_column(capsys, monkeypatch, answer, says):
    with admin_api(answer) as url:
        err = one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)
    assert f"rea: error: {url}/query " in err and says in err and err.rstrip().endswith("is it a restate-server admin URL?")


def test_a_well_formed_admin_answer_still_explains(capsys, monkeypatch):
    """The checks pass what the server sends: a journal index may come as text (a 64-bit number)."""
    journal = [{"index": 0, "entry_type": "Command: Input"}, {"index": "1", "entry_type": "Command: Run", "name": "a"}]
    with admin_api(answers([invocation()], journal)) as url:
        code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--invocation-id", INV, "--admin-url", url,
                                  "--format", "json")
    assert code == 0, err
    assert data["line"] == f"{V2}/{PAIR}.py:23" and data["invocation_id"] == INV


FIRST_LINE = ("[570 Journal mismatch] Found a mismatch between the code paths taken during the previous execution "
              "and the paths taken during this execution.")
"""A `last_failure` cut after its first line: no index, no operation."""

P29_JOURNAL = [  # what v1 of p29 journals up to the charge (sys_journal counts notifications too)
    {"index": 0, "entry_type": "Command: Input"},
    {"index": 1, "entry_type": "Command: Run", "name": "a"},
    {"index": 2, "entry_type": "Notification: Run"},
    {"index": 3, "entry_type": "Command: Run", "name": "publish"},
    {"index": 4, "entry_type": "Notification: Run"},
    {"index": 5, "entry_type": "Notification: Signal"},
    {"index": 6, "entry_type": "Command: Run", "name": "charge"},
]


def test_a_last_failure_without_its_index_is_placed_by_the_related_command_columns(capsys, monkeypatch):
    inv = invocation(last_failure=FIRST_LINE, last_failure_related_command_index=3,
                     last_failure_related_command_type="Run", last_failure_related_command_name="charge-card")
    with admin_api(answers([inv], P29_JOURNAL)) as url:
        code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--invocation-id", INV, "--admin-url", url,
                                  "--format", "json")
    assert code == 0, err
    assert (data["index"], data["kind"], data["line"]) == (3, "related", f"{V2}/{PAIR}.py:23")
    assert (data["recorded"], data["attempted"]) == ("run name 'charge'", "run name 'charge-card'")
    # without the index column either, the error says so instead of calling it something else
    inv.pop("last_failure_related_command_index")
    with admin_api(answers([inv], P29_JOURNAL)) as url:
        err = one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)
    assert f"{INV} failed with a journal mismatch, but neither its last_failure text nor" in err
    assert "something else" not in err


def test_a_failure_that_is_no_journal_mismatch_shows_no_placeholder_code(capsys, monkeypatch):
    with admin_api(answers([invocation(last_failure="[500] boom", last_failure_error_code=None)])) as url:
        err = one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)
    assert err == f"rea: error: {INV} failed with something else than a journal mismatch: [500] boom\n"


def rea_explain(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The installed command in its own process (real stdin), with 2 GiB of address space at most:
    reading without bound fails fast instead of taking the machine's memory."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "rea_lint", "explain", *argv], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=60, preexec_fn=limit)


def test_an_endless_message_file_is_refused_after_a_bounded_read():
    proc = rea_explain(V2, "--message-file", "/dev/zero")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1, err
    assert err.startswith("rea: error: /dev/zero holds more than 4 MiB: refused (a 570 error is a few KiB")
    assert "grep -m1 -B3 -A12 'Journal mismatch'" in err


def test_stdin_and_a_file_over_the_bound_are_refused_not_cut(tmp_path: Path, capsys, monkeypatch):
    """A 570 past the bound would be lost if rea cut the text: it refuses, and says how to keep the record."""
    log = (b"INFO nothing to see here\n" * 200_000) + sample(f"{PAIR}.server_log.txt").encode()
    proc = rea_explain(f"{V2}/{PAIR}.py", stdin=log)
    assert proc.returncode == 2 and proc.stderr.decode().startswith("rea: error: stdin holds more than 4 MiB: refused")
    (tmp_path / "server.log").write_bytes(log)
    err = one_line_error(capsys, monkeypatch, V2, "--message-file", str(tmp_path / "server.log"))
    assert f"{tmp_path / 'server.log'} holds more than 4 MiB: refused" in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "utf-32", "utf-8-sig"])
def test_a_message_file_with_a_byte_order_mark_is_decoded_by_it(tmp_path: Path, capsys, monkeypatch, encoding):
    """PowerShell's `>` writes UTF-16 (little-endian, with a mark); the others write marks too."""
    text = sample(f"{PAIR}.server_log.txt")
    data = ("\ufeff" + text).encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    (tmp_path / "error.txt").write_bytes(data)
    code, data_out, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--message-file", str(tmp_path / "error.txt"),
                                  "--format", "json")
    assert code == 0, err
    assert data_out["line"] == f"{V2}/{PAIR}.py:23" and data_out["invocation_id"] == INV


def test_utf16_on_stdin_is_decoded_and_without_a_mark_the_error_says_what_to_do():
    text = sample(f"{PAIR}.server_log.txt")
    proc = rea_explain(f"{V2}/{PAIR}.py", "--format", "json", stdin=text.encode("utf-16"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["line"] == f"{V2}/{PAIR}.py:23"
    proc = rea_explain(f"{V2}/{PAIR}.py", stdin=text.encode("utf-16-le"))
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "no journal mismatch in the input" in err
    assert "the input holds NUL bytes: if it is UTF-16 or UTF-32 without a byte-order mark, convert it to UTF-8" in err


def test_message_and_message_file_together_are_refused_not_one_silently_preferred(tmp_path: Path, capsys, monkeypatch):
    (tmp_path / "error.txt").write_text(sample(f"{PAIR}.server_log.txt"))
    err = one_line_error(capsys, monkeypatch, V2, "-m", "x", "--message-file", str(tmp_path / "error.txt"))
    assert err == "rea: error: give the error text once: --message TEXT or --message-file FILE, not both\n"


def test_a_negative_journal_index_is_refused(capsys, monkeypatch):
    text = sample(f"{PAIR}.server_log.txt").replace("index '3'", "index '-1'")
    err = one_line_error(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--message", text)
    assert "the message names journal index -1, but journal indexes count up from 0" in err
    assert "index 0 is the handler's input, not an operation" not in err


@pytest.mark.parametrize("cut, says", [
    (3, "the message ends before its `- Difference:` lines (what differs between the two)"),
    (4.5, "the message stops after `- Difference:`, before any line `field: recorded != attempted`"),
])
def test_a_field_mismatch_cut_before_its_differences_says_so(capsys, monkeypatch, cut, says):
    lines = sample(f"{PAIR}.last_failure.txt").splitlines()
    text = "\n".join(lines[:int(cut)] + ([lines[int(cut)][:10]] if cut != int(cut) else []))  # (4.5: into the first field line)
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--format", "json", "--message", text)
    assert code == 0, err  # the operation and index still find the line
    assert data["truncated"] == says and data["line"] == f"{V2}/{PAIR}.py:23"
    code, _, out = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--message", text)
    assert f"  cut short: {says}; rea found the line from the operation and the index alone" in out


@pytest.mark.parametrize("source", ["last_failure", "server_log"])
def test_a_difference_the_server_does_not_print_is_not_called_cut(capsys, monkeypatch, source):
    """restate-sdk 1.3's shared core prints no field for a state operation whose entry name changed:
    the admin API's text ends at `- Difference:`, the server log goes on with its next line
    (captured from restate-server 1.7.12, p113). rea says the field is one the server leaves out."""
    pair = "p113_state_entry_name_changed"
    text = sample(f"{pair}.{source}.txt")
    assert text.rstrip().endswith("- Difference:") if source == "last_failure" else "- Difference:.\n" in text
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--handler", "P113_state_entry_name_changed/go",
                              "--message", text)
    assert data is not None, err
    assert data["truncated"] is None and data["difference_unprinted"] is True, data
    assert data["line"] == f"{V2}/{pair}.py:13", data
    code, _, out = explain(capsys, monkeypatch, V2, "--handler", "P113_state_entry_name_changed/go", "--message", text)
    assert "  differs:   the server printed no field: one it leaves out differs (a state operation's `entry_name`" in out
    assert "cut short" not in out
    # the same text cut right there (the admin API's text is whole there too): both are said
    lines = sample(f"{PAIR}.last_failure.txt").splitlines()[:4]
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--format", "json", "--message", "\n".join(lines))
    assert data["truncated"] is None and data["difference_unprinted"] is True, data


def test_a_type_mismatch_cut_before_what_was_attempted_says_so(capsys, monkeypatch):
    text = "\n".join(sample("p11_run_replaced_by_sleep.last_failure.txt").splitlines()[:3])
    code, data, err = explain(capsys, monkeypatch, f"{V2}/p11_run_replaced_by_sleep.py", "--format", "json",
                              "--handler", "P11_run_replaced_by_sleep/go", "--message", text)
    assert data["attempted"] == "?" and data["truncated"].startswith(
        "the message ends before `The current execution attempts to perform the following: '<op>'`")


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("how", WRAPPERS)
def test_a_whole_message_is_not_called_cut(pair, how):
    assert parse_message(wrapped(pair, how)).truncated == ""


def test_an_operation_rea_does_not_know_names_no_line_but_what_is_at_the_index(capsys, monkeypatch):
    text = sample(f"{PAIR}.server_log.txt").replace("executing 'run'", "executing 'teleport'")
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--format", "json", "--message", text)
    assert code == 1 and data["line"] is None and data["unknown_operations"] == ["teleport"]
    assert data["undecided"] == (
        "the server says the code attempted 'teleport', which rea does not know, so it cannot tell which operation of "
        f"the code that is; at journal index 3 the current code has {V2}/{PAIR}.py:23 "
        "`ctx.run_typed('charge-card', lambda: f'charged {amount}')`")
    _, _, out = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--message", text)
    assert "  unknown:   'teleport' is no operation rea knows (from a newer restate-sdk or server?)" in out
    # without the handler in the text, an unknown operation infers none
    text = sample(f"{PAIR}.last_failure.txt").replace("executing 'run'", "executing 'teleport'")
    code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)
    assert code == 1 and data["service"] is None and "rea does not know the operation it names ('teleport')" in data["undecided"]


def test_an_unknown_recorded_operation_still_names_the_attempted_line(capsys, monkeypatch):
    pair = "p11_run_replaced_by_sleep"
    text = sample(f"{pair}.server_log.txt").replace("following: 'run'", "following: 'teleport'")
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{pair}.py", "--format", "json", "--message", text)
    assert code == 0, err
    assert data["line"] == f"{V2}/{pair}.py:16" and data["unknown_operations"] == ["teleport"]


def test_several_different_mismatches_are_all_named_and_the_explained_one_said(capsys, monkeypatch):
    text = sample(f"{PAIR}.server_log.txt") + sample("p07_rename_run.server_log.txt")
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)
    assert code == 0, err
    assert data["service"] == "P29_helper_renamed_run" and data["invocation_id"] == INV
    other = parse_message(sample("p07_rename_run.server_log.txt"))
    assert data["other_mismatches"] == [{"index": 3, "target": "P07_rename_run/go", "invocation_id": other.invocation_id,
                                         "recorded": "run name 'b'", "attempted": "run name 'b-v2'"}]
    assert data["several"] == (
        f"the input holds 2 different journal mismatches: #1 index 3 in P29_helper_renamed_run/go (invocation {INV}), "
        f"#2 index 3 in P07_rename_run/go (invocation {other.invocation_id}); this explains #1: to explain another, "
        "give its record alone (e.g. in a --message-file), or its invocation id with --invocation-id and --admin-url")
    _, _, out = explain(capsys, monkeypatch, V2, "--message", text)
    assert out.splitlines()[1].startswith("  several:   the input holds 2 different journal mismatches: #1 index 3")


def test_one_record_never_lends_its_target_to_another(capsys, monkeypatch):
    """The bare last_failure of p07 names no target; the p29 server log after it does, for p29 only."""
    text = sample("p07_rename_run.last_failure.txt") + sample(f"{PAIR}.server_log.txt")
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)
    assert code == 0, err
    assert data["service"] == "P07_rename_run" and data["invocation_id"] is None  # inferred, not taken from #2
    assert data["other_mismatches"][0]["target"] == "P29_helper_renamed_run/go"


def test_the_same_mismatch_printed_again_is_one_with_the_context_of_all(capsys, monkeypatch):
    """Retries repeat the record, and the SDK's log and the server's print the same mismatch."""
    text = "\n".join([sample(f"{PAIR}.sdk_log.txt"), sample(f"{PAIR}.server_log.txt"), sample(f"{PAIR}.server_log.txt"),
                      sample(f"{PAIR}.last_failure.txt")])
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--format", "json", "--message", text)
    assert code == 0, err
    assert data["several"] is None and data["other_mismatches"] == []
    assert data["invocation_id"] == INV and data["service"] == "P29_helper_renamed_run"  # from the second record


@pytest.mark.parametrize("target", ["JustAName", "P29_helper_renamed_run/", "/go", ""])
def test_a_target_that_is_no_service_handler_is_named_as_not_used(capsys, monkeypatch, target):
    """It was dropped without a word, and the handler inferred as if the log named none."""
    text = sample(f"{PAIR}.server_log.txt").replace("P29_helper_renamed_run/go", target)
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)
    assert code == 0, err
    assert data["unusable_target"] == target and data["service"] == "P29_helper_renamed_run"
    assert data["line"] == f"{V2}/{PAIR}.py:23"
    _, _, out = explain(capsys, monkeypatch, V2, "--message", text)
    assert out.splitlines()[:2] == [
        f"[570 Journal mismatch] in P29_helper_renamed_run/go (inferred: the only handler whose code attempts this at "
        f"that index) (invocation {INV})",
        f"  target:    not used: the input's restate.invocation.target {target!r} is no SERVICE/HANDLER (or "
        "OBJECT/KEY/HANDLER) target; rea inferred the handler from the code"]
    text = text.replace("index '3'", "index '1'").replace("executing 'run'", "executing 'get state'")
    code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)  # no handler fits: says why
    assert code == 1 and data["undecided"].startswith(f"the message's target {target!r} is no SERVICE/HANDLER target, and")


def test_a_key_with_a_slash_is_the_key_not_a_handler():
    """Service and handler names hold no `/`; an object's key may: the last part is the handler."""
    text = sample("p33_object_get_key.server_log.txt").replace("P33_object_get_key/k-904f693d/go", "P33_object_get_key/a/b/go")
    m = parse_message(text)
    assert (m.service, m.key, m.handler) == ("P33_object_get_key", "a/b", "go")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_a_url_that_fails_names_that_url(capsys, monkeypatch, status):
    """The error named the URL the user gave (`cannot reach the admin API at <it>`), which answered;
    a 307/308 was not followed at all (`refused the query (307)`)."""
    dead = f"http://127.0.0.1:{_closed_port()}/query"
    with admin_api(lambda sql: Redirect(dead, status)) as url:
        err = one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)
    assert err.startswith(f"rea: error: cannot reach {dead} (")
    assert f"), where {url}/query redirected the query: fix the redirect, or pass --admin-url with the admin API's own address" in err


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_followed_with_the_query_and_an_answer_there_is_named_by_its_url(capsys, monkeypatch, status):
    """A 301-303 became a GET without the query (urllib's way), which no admin API answers."""
    with admin_api(answers([invocation()], P29_JOURNAL)) as there:
        with admin_api(lambda sql: Redirect(f"{there}/query", status)) as url:
            code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--invocation-id", INV, "--admin-url",
                                      url, "--format", "json")
    assert code == 0, err
    assert data["line"] == f"{V2}/{PAIR}.py:23" and data["recorded"] == "run name 'charge'"
    with admin_api(answers([invocation(status=5)])) as there:
        with admin_api(lambda sql: Redirect(f"{there}/query", status)) as url:
            err = one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)
    assert err.startswith(f"rea: error: {there}/query (redirected from {url}/query) answered sys_invocation.status = 5")


def test_a_redirect_without_end_or_to_no_http_url_is_named(capsys, monkeypatch):
    with admin_api(lambda sql: Redirect("/query")) as url:
        err = one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)
    assert f"the admin API at {url} redirects the query without end" in err and f"the last to {url}/query" in err
    with admin_api(lambda sql: Redirect("file:///etc/passwd")) as url:
        err = one_line_error(capsys, monkeypatch, V2, "--invocation-id", INV, "--admin-url", url)
    assert f"the admin API at {url} redirected the query (302) to file:///etc/passwd, which is no http or https URL" in err
