"""`rea explain` without a server: the message formats, the mapping to lines, the causes, bad input.

The samples in tests/replay/samples/ were captured from restate-server 1.7.12 and the Python
SDK 1.3.0 running the corpus (test_agreement.py): `sys_invocation.last_failure`, the server's
log record (ANSI colours kept) and the SDK's own log (a traceback; paths shortened). The
`restate` CLI and JSON-log wrappings are built from a captured message the way those
printers wrap it (cli/src/ui/invocations.rs: an `Error:` row then `Caused by:`; the JSON log
escapes the newlines).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.cli import main
from rea_lint.explain.message import MessageError, parse_message

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
ROOT = HERE.parents[1]
V2 = "tests/replay/corpus/v2"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def sdk_line(pair: str) -> str:
    """`path:line` of the innermost corpus frame in the SDK's traceback: where the code failed."""
    frames = [f for f in parse_message(sample(f"{pair}.sdk_log.txt")).frames if "/corpus/v2/" in f.path]
    return f"{V2}/{pair}.py:{frames[-1].line}"


def explain(capsys, monkeypatch, *argv: str) -> tuple[int, dict | None, str]:
    monkeypatch.chdir(ROOT)
    code = main(["explain", *argv])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, None, err + out


PAIRS = ["p07_rename_run", "p11_run_replaced_by_sleep", "p29_helper_renamed_run", "p33_object_get_key"]
WRAPPERS = ["last_failure", "server_log", "sdk_log", "cli", "json_log"]


def wrapped(pair: str, how: str) -> str:
    if how in ("last_failure", "server_log", "sdk_log"):
        return sample(f"{pair}.{how}.txt")
    failure = sample(f"{pair}.last_failure.txt").strip()
    if how == "cli":
        cells = failure.splitlines()
        # the CLI's `Caused by:` row: the related command's type, then its name or index
        origin = re.search(r'executing Command: (\w+)(?:\(named "([^"]*)"\))?\[command index (\d+)\]',
                           sample(f"{pair}.server_log.txt"))
        assert origin is not None
        rows = [" Error:       [2026-12-03 05:27:37.071 +00:00]", *(f"              {c}" for c in cells),
                f" Caused by:   {origin[1]} [{origin[2] or origin[3]}]"]
        return "\n".join(rows)
    return json.dumps({"timestamp": "2026-12-03T05:27:37Z", "level": "WARN",
                       "fields": {"message": "Invocation error, retrying", "error": failure,
                                  "restate.invocation.target": "X/go"}})


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("how", WRAPPERS)
def test_every_wrapper_yields_the_index_and_the_operations(pair, how):
    m = parse_message(wrapped(pair, how))
    base = parse_message(sample(f"{pair}.last_failure.txt"))
    assert m.command_index == base.command_index == 3
    assert (m.kind, m.recorded, m.attempted, m.differences) == (base.kind, base.recorded, base.attempted, base.differences)
    if how == "server_log":
        assert m.service is not None and m.service.lower() == pair.lower()
        assert m.invocation_id and m.invocation_id.startswith("inv_")


def test_the_two_bodies_and_which_side_is_which():
    fields = parse_message(sample("p07_rename_run.last_failure.txt"))
    assert fields.kind == "fields" and fields.recorded == fields.attempted == "run"
    # recorded first: v1 journaled run "b", v2 attempts run "b-v2"
    assert [(d.field, d.recorded, d.attempted) for d in fields.differences] == [("name", "b", "b-v2")]
    typed = parse_message(sample("p11_run_replaced_by_sleep.last_failure.txt"))
    # v1 journaled a run at index 3, v2 attempts a sleep there: the labels are not swapped
    assert (typed.kind, typed.recorded, typed.attempted) == ("type", "run", "sleep")


def test_the_public_one_line_report_parses():
    m = parse_message("The previous execution ran and recorded the following: 'run' (index '17') - "
                      "The current execution attempts to perform the following: 'call'")
    assert (m.command_index, m.recorded, m.attempted) == (17, "run", "call")


@pytest.mark.parametrize("text", ["", "   \n", "hello world", "[500 Internal] something else went wrong",
                                  "[570 Journal mismatch] but nothing else"])
def test_unreadable_text_is_a_message_error(text):
    with pytest.raises(MessageError):
        parse_message(text)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("how", WRAPPERS)
def test_explain_names_the_line_the_sdk_failed_at(capsys, monkeypatch, pair, how):
    args = [f"{V2}/{pair}.py", "--format", "json", "--message", wrapped(pair, how)]
    if how in ("last_failure", "cli", "json_log", "sdk_log"):
        args += ["--handler", parse_message(sample(f"{pair}.server_log.txt")).target]
    code, data, err = explain(capsys, monkeypatch, *args)
    assert code == 0, err
    assert data["line"] == sdk_line(pair)


def test_without_the_handler_the_only_fitting_handler_is_inferred_or_none(capsys, monkeypatch):
    text = sample("p07_rename_run.last_failure.txt")
    code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)
    assert code == 0 and data["line"] == sdk_line("p07_rename_run") and data["service"] == "P07_rename_run"
    # a sleep at index 3 fits five handlers of the corpus (p46 and p86 poll with one): rea names none of them
    code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message",
                            sample("p11_run_replaced_by_sleep.last_failure.txt"))
    assert code == 1 and data["line"] is None and "5 handlers" in data["undecided"]


def test_since_a_directory_names_the_code_change(capsys, monkeypatch):
    code, data, _ = explain(capsys, monkeypatch, V2, "--since", "tests/replay/corpus/v1", "--format", "json",
                            "--message", sample("p29_helper_renamed_run.server_log.txt"))
    assert code == 0 and data["diff_verdict"] == "breaking" and data["diff_index"] == 3
    assert data["cause_decided"] and "since tests/replay/corpus/v1" in data["cause"]


def test_a_compatible_diff_is_not_blamed(tmp_path, capsys, monkeypatch):
    text = sample("p07_rename_run.server_log.txt")
    code, data, _ = explain(capsys, monkeypatch, f"{V2}/p07_rename_run.py", "--since", f"{V2}/p07_rename_run.py",
                            "--format", "json", "--message", text)
    assert data["diff_verdict"] == "compatible" and data["cause"].startswith("not a code change")
    assert not data["cause_decided"]


NONDETERMINISTIC = '''\
import time

import restate

svc = restate.Service("Clock")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    await ctx.run_typed("a", lambda: 1)
    if time.time() > 1_000:
        await ctx.run_typed("late", lambda: 1)
    else:
        await ctx.run_typed("early", lambda: 2)
    return "x"
'''


def run_mismatch(index: int, recorded: str, attempted: str) -> str:
    """The server's 570 text for a run whose name differs at ``index`` (as `last_failure` prints it)."""
    return ("[570 Journal mismatch] Found a mismatch between the code paths taken during the previous execution "
            f"and the paths taken during this execution.\n- The mismatch happened while executing 'run' (index '{index}')\n"
            f"- Difference:\n   name: {recorded} != {attempted}\n")


def test_a_nondeterminism_finding_before_the_line_is_the_cause(tmp_path, capsys, monkeypatch):
    path = tmp_path / "clock.py"
    path.write_text(NONDETERMINISTIC)
    text = run_mismatch(2, "early", "late")
    code, data, err = explain(capsys, monkeypatch, str(path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert code == 0, err
    assert data["line"] == f"{path}:12"
    assert [(f["code"], f["line"]) for f in data["findings"]] == [("REA101", 11)]
    assert data["cause_decided"] and data["cause"].startswith("nondeterminism: REA101")


def test_a_helper_in_another_module_that_reads_the_clock_is_the_cause(tmp_path, capsys, monkeypatch):
    """A transitive finding (the handler calls `clock.late()`, which reads `time.time()`; or builds a
    model whose default_factory does) is a cause as much as a direct one: rea explain asks rea
    check of the whole code given, as `rea check` of it would report."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "clock.py").write_text("import time\n\n\ndef late() -> bool:\n    return time.time() > 1_000\n")
    (tmp_path / "shop" / "models.py").write_text(
        "import uuid\nfrom pydantic import BaseModel, Field\n\n\nclass Order(BaseModel):\n"
        "    id: str = Field(default_factory=lambda: str(uuid.uuid4()))\n")
    handler = (NONDETERMINISTIC.replace("import time\n", "from shop import clock\nfrom shop.models import Order\n")
               .replace("if time.time() > 1_000:", "if clock.late():"))
    path = tmp_path / "shop" / "svc.py"
    path.write_text(handler)
    text = run_mismatch(2, "early", "late")
    code, data, err = explain(capsys, monkeypatch, str(tmp_path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert code == 0, err
    assert [(f["code"], f["line"]) for f in data["findings"]] == [("REA101", 12)]
    assert data["cause_decided"] and data["cause"].startswith("nondeterminism: REA101") and "clock.late()" in data["cause"]
    path.write_text(handler.replace("if clock.late():", "if Order().id:"))
    code, data, err = explain(capsys, monkeypatch, str(tmp_path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert [(f["code"], f["line"]) for f in data["findings"]] == [("REA103", 12)]
    assert data["cause_decided"] and "default_factory of Order.id" in data["cause"]


def test_a_handler_defined_in_several_apps_is_the_one_whose_code_fits(tmp_path, capsys, monkeypatch):
    """Two apps of one repository define Clock/go: the message's index and command say which ran."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "clock.py").write_text(NONDETERMINISTIC.replace('await ctx.run_typed("a", lambda: 1)', "await ctx.sleep(1)"))
    (tmp_path / "b" / "clock.py").write_text(NONDETERMINISTIC)
    text = run_mismatch(1, "b", "a")
    code, data, err = explain(capsys, monkeypatch, str(tmp_path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert code == 0, err
    assert data["line"] == f"{tmp_path / 'b' / 'clock.py'}:10"
    # the same code in both: rea names both places and picks neither
    (tmp_path / "a" / "clock.py").write_text(NONDETERMINISTIC)
    code, data, err = explain(capsys, monkeypatch, str(tmp_path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert code == 1 and data["line"] is None
    assert "defined in 2 places" in data["undecided"] and "pass the path of the app" in data["undecided"]
    assert f"{tmp_path / 'a' / 'clock.py'}:9" in data["undecided"] and f"{tmp_path / 'b' / 'clock.py'}:9" in data["undecided"]


def test_without_the_handler_repeated_names_that_fit_are_told_apart_by_place(tmp_path, capsys, monkeypatch):
    for app in ("a", "b"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "clock.py").write_text(NONDETERMINISTIC)
    code, data, _ = explain(capsys, monkeypatch, str(tmp_path), "--format", "json", "--message", run_mismatch(1, "b", "a"))
    assert code == 1 and data["line"] is None and "2 handlers" in data["undecided"]
    assert f"Clock/go ({tmp_path / 'a' / 'clock.py'}:9), Clock/go ({tmp_path / 'b' / 'clock.py'}:9)" in data["undecided"]


def test_a_service_whose_name_the_code_computes_is_matched_by_its_handler(tmp_path, capsys, monkeypatch):
    """`restate.Service(NAME)`: the server names the service Restate knows, the code a variable."""
    computed = NONDETERMINISTIC.replace('svc = restate.Service("Clock")', 'import os\nsvc = restate.Service(os.environ["SERVICE"])')
    (tmp_path / "clock.py").write_text(computed)
    text = run_mismatch(2, "early", "late")
    code, data, err = explain(capsys, monkeypatch, str(tmp_path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert code == 0, err
    assert data["line"] == f"{tmp_path / 'clock.py'}:13" and data["handler_in_code"] == "svc/go"
    assert data["handler_matched"].startswith(f"{tmp_path / 'clock.py'}:10 computes its service's name at run time")
    # two such services with a handler `go` whose code fits: rea names them and picks neither
    (tmp_path / "clock2.py").write_text(computed.replace("svc", "other"))
    code, data, err = explain(capsys, monkeypatch, str(tmp_path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert code == 1 and data["line"] is None and data["handler_in_code"] is None
    assert "svc/go" in data["undecided"] and "other/go" in data["undecided"] and "several of them attempt" in data["undecided"]
    # a literal name that differs is not matched
    (tmp_path / "clock2.py").unlink()
    (tmp_path / "clock.py").write_text(NONDETERMINISTIC.replace('"Clock"', '"Timer"'))
    code, data, _ = explain(capsys, monkeypatch, str(tmp_path), "--handler", "Clock/go", "--format", "json", "--message", text)
    assert code == 1 and data["undecided"].startswith("no handler Clock/go") and "computes" not in data["undecided"]


def test_text_output_reads_well(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(["explain", f"{V2}/p33_object_get_key.py", "--message", sample("p33_object_get_key.server_log.txt")])
    out = capsys.readouterr().out
    assert code == 0
    assert "in P33_object_get_key/" in out and "recorded:  get_state key 'b'" in out and "attempted: get_state key 'beta'" in out
    assert f"line:      {V2}/p33_object_get_key.py:14" in out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("argv, says", [
    (["--message", "hello"], "no journal mismatch in the input"),
    (["--message", ""], "empty input"),
    (["--invocation-id", "inv_1abc"], "go together"),
    (["--invocation-id", "not-an-id", "--admin-url", "http://127.0.0.1:1"], "is not an invocation id"),
    (["--invocation-id", "inv_1aBcDeFgHiJkLmNoPqRsTuVwXyZ", "--admin-url", "http://127.0.0.1:{port}"], "cannot reach the admin API"),
    (["--handler", "nope", "--message", "[570 Journal mismatch] - The mismatch happened while executing 'run' (index '1')"], "expected SERVICE/HANDLER"),
    (["no/such/dir", "--message", "[570 Journal mismatch] - The mismatch happened while executing 'run' (index '1')"], "no such file"),
    (["--since", "no-such-revision-xyz", "--message", "[570 Journal mismatch] - The mismatch happened while executing 'run' (index '1')"], "no-such-revision-xyz"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, monkeypatch, argv, says):
    argv = [a.replace("{port}", str(_closed_port())) for a in argv]
    code, _, err = explain(capsys, monkeypatch, *argv)
    assert code == 2
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_stdin_is_read_by_the_installed_command():
    proc = subprocess.run([sys.executable, "-m", "rea_lint", "explain", f"{V2}/p07_rename_run.py", "--format", "json"],
                          input=sample("p07_rename_run.server_log.txt"), capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["line"] == sdk_line("p07_rename_run")


def test_the_worked_example_in_the_docs_is_current(capsys, monkeypatch):
    doc = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    block = doc.split("<!-- explain-example:start -->", 1)[1].split("<!-- explain-example:end -->", 1)[0]
    lines = block.strip().strip("`").strip().splitlines()
    command, shown = lines[1], "\n".join(lines[2:]).strip()
    argv = command.removeprefix("$ rea explain ").removesuffix(" < error.txt").split()
    monkeypatch.chdir(ROOT)
    code = main(["explain", *argv, "--message", sample("p29_helper_renamed_run.server_log.txt")])
    assert code == 0
    actual = capsys.readouterr().out.strip()
    if os.environ.get("REA_UPDATE_DOCS") and actual != shown:
        path = ROOT / "docs" / "explain.md"
        path.write_text(doc.replace(shown, actual), encoding="utf-8")
        shown = actual
    assert actual == shown, "docs/explain.md's worked example is stale: run with REA_UPDATE_DOCS=1"


@pytest.mark.parametrize("pair, line", [("p07_rename_run", 14), ("p11_run_replaced_by_sleep", 16), ("p29_helper_renamed_run", 23)])
def test_since_also_names_the_old_line_that_wrote_the_entry(capsys, monkeypatch, pair, line):
    v1 = f"tests/replay/corpus/v1/{pair}.py"
    code, data, _ = explain(capsys, monkeypatch, f"{V2}/{pair}.py", "--since", v1, "--format", "json",
                            "--message", sample(f"{pair}.server_log.txt"))
    assert code == 0 and data["recorded_by"] == f"{v1}:{line}"
    assert (ROOT / v1).read_text().splitlines()[line - 1].lstrip().startswith(("b = await ctx.run_typed", "return await ctx.run_typed"))


def test_the_projects_own_restate_module_counts(tmp_path, capsys, monkeypatch):
    """Code whose services come from the project's wrapper of the SDK (`[tool.rea]
    restate-modules`) is read as `rea check` reads it: now and `--since` the deployed code."""
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nrestate-modules = ["app.rs"]\n')
    for name, run_name in (("old", "charge"), ("new", "charge-card")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pay.py").write_text(
            "from app import rs\n\nsvc = rs.Service('Pay')\n\n\n@svc.handler()\n"
            "async def go(ctx: rs.Context, arg: str) -> str:\n"
            f"    await ctx.run_typed('{run_name}', lambda: 1)\n    return 'x'\n")
    message = run_mismatch(1, "'charge'", "'charge-card'")
    code, data, out = explain(capsys, monkeypatch, str(tmp_path / "new"), "--format", "json", "--message", message)
    assert code == 0 and data is not None, out
    assert data["line"] == f"{tmp_path / 'new' / 'pay.py'}:8" and (data["service"], data["handler"]) == ("Pay", "go"), data
    code, data, out = explain(capsys, monkeypatch, str(tmp_path / "new"), "--since", str(tmp_path / "old"),
                              "--format", "json", "--message", message)
    assert code == 0 and data is not None, out
    assert data["diff_verdict"] == "breaking" and data["cause_decided"], data


def test_exclude_leaves_files_out_as_rea_check_does(tmp_path, capsys, monkeypatch):
    """`[tool.rea] exclude`: a handler only in an excluded file is not the project's (said so in a
    note, as `rea check` warns that nothing is left); `--since OLD_DIR` is judged at the current
    code's paths, so the deployed copy kept in an excluded `old/` is still read."""
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nexclude = ["old", "gen"]\n')
    for name, run_name in (("old", "charge"), ("new", "charge-card"), ("new/gen", "charge-card")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pay.py").write_text(
            "import restate\n\nsvc = restate.Service('Pay')\n\n\n@svc.handler()\n"
            "async def go(ctx: restate.Context, arg: str) -> str:\n"
            f"    await ctx.run_typed('{run_name}', lambda: 1)\n    return 'x'\n")
    message = run_mismatch(1, "'charge'", "'charge-card'")
    code, data, out = explain(capsys, monkeypatch, str(tmp_path / "new"), "--since", str(tmp_path / "old"),
                              "--format", "json", "--message", message)
    assert code == 0 and data is not None, out
    assert data["line"] == f"{tmp_path / 'new' / 'pay.py'}:8" and data["diff_verdict"] == "breaking", data
    assert data["problems"] == [], data
    code, data, out = explain(capsys, monkeypatch, str(tmp_path / "new" / "gen" / "pay.py"), "--format", "json", "--message", message)
    assert code == 1 and data is not None and data["line"] is None, out
    assert data["problems"] == [f"no Python files to read: [tool.rea] exclude in {tmp_path / 'pyproject.toml'} leaves out the "
                                "only Python file under the paths given, as `rea check` does; name files it does not "
                                "exclude, or narrow `exclude`"], data


def test_a_subprojects_exclude_counts_from_above_it(tmp_path, capsys, monkeypatch):
    """A monorepo read from its root: `rea check` judges each file by the nearest pyproject.toml
    above it, so `billing/`'s `exclude` leaves out its generated code; `rea explain .` read that
    code with the root's configuration, and named a line of it."""
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    (tmp_path / "billing" / "gen").mkdir(parents=True)
    (tmp_path / "billing" / "pyproject.toml").write_text('[tool.rea]\nexclude = ["gen"]\n')
    (tmp_path / "billing" / "gen" / "pay.py").write_text(
        "import restate\n\nsvc = restate.Service('Pay')\n\n\n@svc.handler()\n"
        "async def go(ctx: restate.Context, arg: str) -> str:\n"
        "    await ctx.run_typed('charge-card', lambda: 1)\n    return 'x'\n")
    code, data, out = explain(capsys, monkeypatch, str(tmp_path), "--format", "json", "--message",
                              run_mismatch(1, "'charge'", "'charge-card'"))
    assert code == 1 and data is not None and data["line"] is None, out
    assert data["problems"] == [f"no Python files to read: [tool.rea] exclude in {tmp_path / 'billing' / 'pyproject.toml'} "
                                "leaves out the only Python file under the paths given, as `rea check` does; name files "
                                "it does not exclude, or narrow `exclude`"], data


def test_a_result_that_no_longer_decodes_is_not_blamed_for_a_570(tmp_path, capsys, monkeypatch):
    """rea diff's first break is a run's result that no longer decodes (index 1): that fails
    without a 570, so it is not this 570's cause (a run renamed at index 3), and explain says so
    instead of naming index 1 as the code change that broke it."""
    v2 = (ROOT / V2 / "p07_rename_run.py").read_text(encoding="utf-8")
    v2 = v2.replace('import restate\n', 'import restate\nfrom pydantic import BaseModel\n\n\nclass A(BaseModel):\n    x: int\n    y: int\n\n\n'
                    'def load() -> A:\n    return A(x=1, y=2)\n', 1)
    v2 = v2.replace('a = await ctx.run_typed("a", lambda: "a")', 'a = str(await ctx.run_typed("a", load))')
    v1 = v2.replace("    y: int\n", "", 1).replace("A(x=1, y=2)", "A(x=1)").replace('"b-v2"', '"b"')
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "p07_rename_run.py").write_text(v1)
    (tmp_path / "new" / "p07_rename_run.py").write_text(v2)
    code, data, err = explain(capsys, monkeypatch, str(tmp_path / "new"), "--since", str(tmp_path / "old"), "--format", "json",
                              "--message", sample("p07_rename_run.server_log.txt"))
    assert data is not None, err
    assert data["diff_verdict"] == "breaking" and data["diff_index"] == 1
    assert "no longer decodes" in data["cause"] and "fails without a 570" in data["cause"]
    assert not data["cause_decided"]


def test_a_570_at_the_handlers_end_from_an_input_that_no_longer_decodes_names_the_input(capsys, monkeypatch):
    """restate-sdk 1.3 ends an invocation whose journaled input its model no longer takes ("Unable to
    parse an input argument"): where the journal holds more, the server says 570 at index 1, the
    code attempting 'handler return', which no path of the code does. With the old code, the model's
    change is the cause and the input parameter the line (captured from p93 on restate-server 1.7.12)."""
    text = sample("p93_input_model_required_field.server_log.txt")
    code, data, err = explain(capsys, monkeypatch, V2, "--since", "tests/replay/corpus/v1", "--format", "json", "--message", text)
    assert code == 0, err
    assert data["line"] == f"{V2}/p93_input_model_required_field.py:22" and data["index"] == 1
    assert data["code"] == "the handler's input, decoded as `Order`"
    assert data["cause_decided"] and "rea diff says unknown: the handler's input (journal index 0" in data["cause"]
    code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)
    assert code == 1 and data["line"] is None
    assert "cannot decode its input into `Order`" in data["undecided"] and "--since" in data["undecided"]
    monkeypatch.chdir(ROOT)
    assert main(["explain", V2, "--since", "tests/replay/corpus/v1", "--message", text]) == 0
    out = capsys.readouterr().out
    assert f"line:      {V2}/p93_input_model_required_field.py:22  the handler's input, decoded as `Order`" in out


def test_a_result_that_no_longer_decodes_is_explained_though_it_is_no_570(capsys, monkeypatch):
    """The failure Restate retries for good after a model gained a required field (captured from
    p89 on restate-server 1.7.12: `last_failure`, the SDK's traceback included): the line that
    decoded it, the class and field, and with the deployed code the change (rea diff's verdict)."""
    text = sample("p89_run_result_model_required_field.last_failure.txt")
    code, data, err = explain(capsys, monkeypatch, V2, "--since", "tests/replay/corpus/v1", "--format", "json", "--message", text)
    assert code == 0, err
    assert data["kind"] == "undecodable" and data["model"] == "Quote" and data["fields"] == ["currency: Field required"]
    assert data["line"] == f"{V2}/p89_run_result_model_required_field.py:27" and data["code"] == "ctx.run_typed('fetch', fetch)"
    assert data["cause_decided"] and data["diff_verdict"] == "breaking" and "requires the field `currency`" in data["cause"]
    code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text)
    assert code == 0 and data["line"] == f"{V2}/p89_run_result_model_required_field.py:27"
    assert not data["cause_decided"] and "--since" in data["cause"]
    monkeypatch.chdir(ROOT)
    assert main(["explain", V2, "--message", text]) == 0
    out = capsys.readouterr().out
    assert out.startswith("not a journal mismatch: a journaled value the code cannot decode (pydantic ValidationError for `Quote`)")
    assert f"line:      {V2}/p89_run_result_model_required_field.py:27  `ctx.run_typed('fetch', fetch)`" in out


def test_a_decoder_failure_without_a_traceback_is_placed_by_its_class_alone(capsys, monkeypatch):
    text = "[500 Internal] 1 validation error for Quote\ncurrency\n  Field required [type=missing, input_value={'price': 1}, input_type=dict]\n"
    code, data, _ = explain(capsys, monkeypatch, f"{V2}/p89_run_result_model_required_field.py", "--format", "json", "--message", text)
    assert code == 0 and data["line"].endswith("p89_run_result_model_required_field.py:27")
    # the class is decoded nowhere in the code given: no line, and why
    code, data, _ = explain(capsys, monkeypatch, f"{V2}/p07_rename_run.py", "--format", "json", "--message", text)
    assert code == 1 and data["line"] is None and "no operation of the current code decodes into `Quote`" in data["undecided"]


def test_dacite_and_nested_failures_parse():
    from rea_lint.explain.undecodable import parse_undecodable

    found = parse_undecodable('[500 Internal] dacite.exceptions.MissingValueError: missing value for field "warehouse"')
    assert found is not None and found.error == "dacite MissingValueError" and found.model is None
    assert found.fields == ["warehouse: missing value"]
    found = parse_undecodable('[500 Internal] dacite.exceptions.WrongTypeError: wrong value type for field "count" - '
                              'should be "str" instead of value "3" of type "int"')
    assert found is not None and found.error == "dacite WrongTypeError" and found.fields == ["count: should be str"]
    found = parse_undecodable("2 validation errors for Customer\naddress.country\n  Field required [type=missing]\nname\n  Input should be a valid string [type=string_type]\n")
    assert found is not None and found.model == "Customer"
    assert found.fields == ["address.country: Field required", "name: Input should be a valid string"]
    assert parse_undecodable("[500 Internal] ValueError: boom") is None


def test_text_that_is_neither_a_570_nor_a_decoder_failure_is_still_bad_input(capsys, monkeypatch):
    code, data, err = explain(capsys, monkeypatch, V2, "--message", "[500 Internal] ValueError: boom")
    assert code == 2 and "no journal mismatch in the input" in err


def test_a_validation_error_of_the_handlers_own_code_is_not_called_a_journaled_value(capsys, monkeypatch, tmp_path):
    """`Model(**data)` failing in the handler's own code is a ValidationError too, but no journaled
    value: rea names no line and does not say one was."""
    (tmp_path / "svc.py").write_text(
        "import restate\nfrom pydantic import BaseModel\n\n\nclass Quote(BaseModel):\n    price: int\n\n\n"
        "svc = restate.Service('quotes')\n\n\n@svc.handler()\nasync def go(ctx: restate.Context, data: dict) -> int:\n"
        "    return Quote(**data).price\n")
    text = ('[500 Internal] 1 validation error for Quote\nprice\n  Field required [type=missing]\nTraceback (most recent call last):\n'
            f'  File "/srv/app/svc.py", line 14, in go\n    return Quote(**data).price\n')
    monkeypatch.chdir(ROOT)
    assert main(["explain", str(tmp_path), "--message", text]) == 1
    out = capsys.readouterr().out
    assert out.startswith("not a journal mismatch: pydantic ValidationError for `Quote`, which no operation of the code that decodes")
    assert "line:      cannot tell: no operation of the current code decodes into `Quote`" in out


@pytest.mark.parametrize("pair,handler,line,what,keys", [
    ("p99_input_model_forwarded_field_added", "go", 27, "`Order` (tests/replay/corpus/v2/p99_input_model_forwarded_field_added.py:17), "
     "the class whose keys `order` is written with,", "writes `sku`, `note`, where the journal holds `sku`"),
    ("p101_run_result_dataclass_stored_field_added", "go", 31,
     "`Receipt` (tests/replay/corpus/v2/p101_run_result_dataclass_stored_field_added.py:16), "
     "the class whose keys `receipt` is written with,", "writes `amount`, `memo`, where the journal holds `amount`"),
    # (an awakeable's value: the server names it `result`)
    ("p121_awakeable_resolved_with_model_field_added", "go", 26,
     "`Order` (tests/replay/corpus/v2/p121_awakeable_resolved_with_model_field_added.py:15), the class whose keys `order` is written with,",
     "writes `sku`, `note`, where the journal holds `sku`"),
    # (a promise's value: the server names it `completion`)
    ("p107_promise_resolved_with_model_field_added", "run", 27,
     "`Order` (tests/replay/corpus/v2/p107_promise_resolved_with_model_field_added.py:17), the class whose keys `order` is written with,",
     "writes `sku`, `note`, where the journal holds `sku`"),
    # (a model held in the value: in a list, in an Optional field)
    ("p123_stored_model_list_item_field_added", "go", 33,
     "`Item` (tests/replay/corpus/v2/p123_stored_model_list_item_field_added.py:17), the class whose keys `cart.items[0]` is written with,",
     "writes `sku`, `note`, where the journal holds `sku`, and"),
    ("p124_forwarded_optional_nested_model_field_added", "go", 31,
     "`Address` (tests/replay/corpus/v2/p124_forwarded_optional_nested_model_field_added.py:16), the class whose keys `user.address` is "
     "written with,", "writes `city`, `zip`, where the journal holds `city`, and"),
])
def test_a_value_written_with_other_keys_is_put_down_to_its_class_without_since(capsys, monkeypatch, pair, handler, line, what, keys):
    """The server prints both values (captured from restate-server 1.7.12: the model's and the
    dataclass's dumps): the keys differ as the current class says and the shared keys hold the
    same values, so the cause is the class, named without --since."""
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--message", sample(f"{pair}.last_failure.txt"),
                              "--handler", f"{pair.split('_', 1)[0].upper()}_{pair.split('_', 1)[1]}/{handler}")
    assert data is not None, err
    assert code == 0 and data["line"] == f"{V2}/{pair}.py:{line}", data
    assert data["cause"].startswith(what + " changed after the invocation journaled it"), data["cause"]
    assert keys in data["cause"] and data["cause_decided"]


def test_a_default_changed_under_a_made_instance_is_put_down_to_its_class_without_since(capsys, monkeypatch):
    """The same keys; the one value that differs is a field the code leaves out, now the class's
    literal default (captured from restate-server 1.7.12, p106)."""
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--handler", "P106_made_model_default_changed/go",
                              "--message", sample("p106_made_model_default_changed.last_failure.txt"))
    assert data is not None, err
    assert data["line"] == f"{V2}/p106_made_model_default_changed.py:25" and data["cause_decided"], data
    assert "leaving `currency` (the journal holds 'EUR', the class now gives 'USD') out, changed that default" in data["cause"]
    text = sample("p106_made_model_default_changed.last_failure.txt").replace('"price":1,"currency":"USD"', '"price":2,"currency":"USD"')
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--handler", "P106_made_model_default_changed/go",
                              "--message", text)
    assert data is not None and data["cause"].startswith("rea cannot tell"), (err, data)  # (`price` differs too: passed)


@pytest.mark.parametrize("recorded,attempted", [
    ('{"sku":"a"}', '{"sku":"b","note":""}'),  # (a value differs too)
    ('{"sku":"a"}', '{"sku":"a","other":""}'),  # (not the keys the current class writes)
    ('["a"]', '{"sku":"a","note":""}'),  # (not an object)
])
def test_other_differences_are_not_put_down_to_the_class(capsys, monkeypatch, recorded, attempted):
    text = sample("p99_input_model_forwarded_field_added.last_failure.txt").replace(
        """'{"sku":"a"}' != '{"sku":"a","note":""}'""", f"'{recorded}' != '{attempted}'")
    assert recorded in text
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--message", text,
                              "--handler", "P99_input_model_forwarded_field_added/go")
    assert data is not None, err
    assert data["cause"].startswith("rea cannot tell") and not data["cause_decided"], data["cause"]


P123 = """'{"items":[{"sku":"a"}]}' != '{"items":[{"sku":"a","note":""}]}'"""


@pytest.mark.parametrize("recorded,attempted,cause", [
    ('{"items":[{"sku":"a"},{"sku":"b"}]}', '{"items":[{"sku":"a","note":""},{"sku":"b","note":""}]}',
     "the class whose keys `cart.items[0]` is written with, changed after the invocation journaled it (a deploy while it was in "
     "flight): it now writes `sku`, `note`, where the journal holds `sku` (and in 1 more place of the value)"),
    ('{"items":[{"sku":"a","note":""},{"sku":"b"}]}', '{"items":[{"sku":"a","note":""},{"sku":"b","note":""}]}',
     "the class whose keys `cart.items[1]` is written with"),
    ('{"items":[{"sku":"a"}]}', '{"items":[{"sku":"b","note":""}]}', None),  # (a value differs too)
    ('{"items":[{"sku":"a"}]}', '{"items":[{"sku":"a","note":""},{"sku":"b","note":""}]}', None),  # (another item)
    ('{"items":[{"sku":"a"}]}', '{"items":[{"sku":"a","other":""}]}', None),  # (not the keys `Item` writes)
    ('{"items":[{"sku":1}]}', '{"items":[{"sku":1.0,"note":""}]}', None),  # (1 and 1.0 are other bytes)
])
def test_a_model_held_in_a_list_is_followed(capsys, monkeypatch, recorded, attempted, cause):
    """Beside the captured p123 message: only the keys of the items the current `Item` writes
    differ, in every place they do, or rea cannot tell."""
    text = sample("p123_stored_model_list_item_field_added.last_failure.txt")
    assert P123 in text
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--handler", "P123_stored_model_list_item_field_added/go",
                              "--message", text.replace(P123, f"'{recorded}' != '{attempted}'"))
    assert data is not None, err
    if cause is None:
        assert data["cause"].startswith("rea cannot tell") and not data["cause_decided"], data["cause"]
    else:
        assert cause in data["cause"] and data["cause_decided"], data["cause"]


@pytest.mark.parametrize("depth", [5000, 960])
def test_a_value_nested_too_deep_is_no_traceback(capsys, monkeypatch, depth):
    """A printed value nested deeper than Python recurses (to decode, or to compare) is read as no
    model's dump: rea cannot tell, and says so without a traceback."""
    deep = "[" * depth + "]" * depth
    text = sample("p123_stored_model_list_item_field_added.last_failure.txt").replace(
        P123, f"""'{{"items":{deep}}}' != '{{"items":{deep},"x":1}}'""")
    code, data, err = explain(capsys, monkeypatch, V2, "--format", "json", "--handler", "P123_stored_model_list_item_field_added/go",
                              "--message", text)
    assert data is not None, err
    assert data["cause"].startswith("rea cannot tell") and not data["cause_decided"], data["cause"]


def test_a_570_on_the_output_names_the_return_or_raise_that_ended_the_code(capsys, monkeypatch):
    """A way out taken where the old code went on (p169: an early `return` widened; p168: a
    check that raises `TerminalError` tightened): the server says the code attempted 'handler
    return' at index 2, where the journal holds a set. For the `return` the SDK's own log names
    no line at all (the handler has returned when its output is written); rea names the line of
    the one way out the current code takes there, with or without the old code (captured on
    restate-server 1.7.12)."""
    cases = [("p169_early_return_widened", 19, 'return "long"', "returns"),
             ("p168_validation_tightened", 20, 'raise TerminalError("name too long")', "raises")]
    for pair, line, text, how in cases:
        service = "P" + pair[1:]
        # (`last_failure` names no handler: 13 of the corpus can end at index 2, so it is named)
        for sample_name, target in ((f"{pair}.server_log.txt", []), (f"{pair}.last_failure.txt", ["--handler", f"{service}/go"])):
            message = sample(sample_name)
            code, data, err = explain(capsys, monkeypatch, V2, "--since", "tests/replay/corpus/v1", "--format", "json",
                                      "--message", message, *target)
            assert code == 0, err
            assert (data["line"], data["code"], data["index"], data["ends"]) == (f"{V2}/{pair}.py:{line}", text, 2, True), data
            assert data["undecided"] is None
            assert data["cause_decided"] and "rea diff says breaking at journal index 2" in data["cause"], data["cause"]
            code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message", message, *target)
            assert code == 0 and data["line"] == f"{V2}/{pair}.py:{line}"
            assert not data["cause_decided"] and "--since" in data["cause"]
        # without a target, the handler is the one whose code can end at index 2: alone in its file
        code, data, _ = explain(capsys, monkeypatch, f"{V2}/{pair}.py", "--format", "json", "--message", sample(f"{pair}.last_failure.txt"))
        assert code == 0 and data["line"] == f"{V2}/{pair}.py:{line}" and data["handler_in_code"] == f"{service}/go", data
        code, data, _ = explain(capsys, monkeypatch, V2, "--format", "json", "--message", sample(f"{pair}.last_failure.txt"))
        assert code == 1 and data["line"] is None and f"{service}/go" in data["undecided"], data["undecided"]
        monkeypatch.chdir(ROOT)
        assert main(["explain", V2, "--message", sample(f"{pair}.server_log.txt")]) == 0
        out = capsys.readouterr().out
        assert (f"line:      {V2}/{pair}.py:{line}  `{text}`: the current code ends here ({how}) at journal index 2, "
                "where the journal recorded set_state") in out, out


def test_a_570_on_the_output_with_several_ways_out_there_names_them_all_and_no_line(capsys, monkeypatch, tmp_path):
    """Two ways out at the index (two returns, or a return and the handler's end), or a `raise`
    a handler of its `try` may catch: the journal does not say which way the invocation took,
    so there is no line, and the reason lists them."""
    head = ('import restate\n\nsvc = restate.VirtualObject("P169_early_return_widened")\n\n\n@svc.handler()\n'
            'async def go(ctx: restate.ObjectContext, name: str) -> str:\n'
            '    first, resumed = ctx.awakeable(type_hint=str)\n'
            '    await ctx.run_typed("publish", lambda: first)\n'
            '    await resumed\n')
    bodies = {
        "two returns": ('    if len(name) > 2:\n        return "long"\n    if len(name) > 1:\n        return "short"\n'
                        '    ctx.set("name", name)\n    return name\n',
                        ['app.py:12 `return "long"`', 'app.py:14 `return "short"`']),
        "a return and the end": ('    if len(name) > 2:\n        return "long"\n    if len(name) > 1:\n'
                                 '        ctx.set("name", name)\n',
                                 ['app.py:12 `return "long"`', "the end of the handler"]),
        "a raise a handler may catch": ('    try:\n        if len(name) > 2:\n            raise error\n'
                                        '        ctx.set("name", name)\n    except ValueError:\n        pass\n    return name\n',
                                        ['app.py:13 `raise error`', 'app.py:17 `return name`']),
    }
    for what, (body, places) in bodies.items():
        (tmp_path / "app.py").write_text(head + body)
        code, data, err = explain(capsys, monkeypatch, str(tmp_path / "app.py"), "--format", "json",
                                  "--message", sample("p169_early_return_widened.server_log.txt"))
        assert code == 1 and data["line"] is None, (what, data)
        undecided = data["undecided"].replace(str(tmp_path) + os.sep, "")
        assert undecided.startswith("the current code returns before journal index 2"), undecided
        if "catch" not in what:
            assert f"it may end there at {places[0]} or {places[1]}, which the journal does not decide" in undecided, (what, undecided)
        else:  # (rea cannot tell what `error` holds: the code may go on in the handler)
            assert (f"it may end there at {places[0]}, {places[1]}, but a handler of the `try` around app.py:13 may catch "
                    "what it raises, and the code go on") in undecided, (what, undecided)


def test_a_570_on_the_output_past_a_raise_its_try_catches_names_where_the_code_ends(capsys, monkeypatch, tmp_path):
    """A `raise ValueError` inside `try: ... except ValueError:` does not end the handler: the
    code goes on past the `try`, to the one `return` at the index, which rea names (it listed
    the `raise` as a way out and gave no line)."""
    (tmp_path / "app.py").write_text(
        'import restate\n\nsvc = restate.VirtualObject("P169_early_return_widened")\n\n\n@svc.handler()\n'
        'async def go(ctx: restate.ObjectContext, name: str) -> str:\n'
        '    first, resumed = ctx.awakeable(type_hint=str)\n'
        '    await ctx.run_typed("publish", lambda: first)\n'
        '    await resumed\n'
        '    try:\n        if len(name) > 2:\n            raise ValueError("long")\n'
        '        ctx.set("name", name)\n    except (KeyError, ValueError):\n        pass\n    return name\n')
    code, data, err = explain(capsys, monkeypatch, str(tmp_path / "app.py"), "--format", "json",
                              "--message", sample("p169_early_return_widened.server_log.txt"))
    assert code == 0, err
    assert (data["line"], data["code"], data["index"], data["ends"]) == (f"{tmp_path / 'app.py'}:17", "return name", 2, True), data
