"""What a ruff user reaches for: stdin, color, full/concise output, fix reporting, --add-noqa,
per-file-ignores, --diff exit codes, -q, -o errors, `rule --all --format json`, SARIF URIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rea_lint.catalog import RULES
from rea_lint.cli import main
from tests.conftest import REPO

MIXED = textwrap.dedent(
    """\
    import os
    import time
    import uuid
    import restate

    svc = restate.Service("s")


    @svc.handler()
    async def h(ctx: restate.Context):
        x = os.environ["A"]
        return time.time(), uuid.uuid4(), x


    @svc.handler()
    def g(ctx: restate.Context):
        return time.time()
    """
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", "--no-cache", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rea(cwd: Path, *argv: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env["PYTHONPATH"] = str(REPO)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "rea_lint", "check", "--no-cache", *argv],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, env=full_env,
    )


# --- stdin ---------------------------------------------------------------------------------------


def test_stdin_dash_and_stdin_filename(project):
    proc = rea(project, "-", stdin=MIXED)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[1].startswith("-:12:12: REA101 time-in-handler")
    named = rea(project, "--stdin-filename", "svc/handlers.py", stdin=MIXED)
    assert named.returncode == 1 and named.stdout.startswith("svc/handlers.py:11:9: warning: REA109")
    assert rea(project, "-", stdin="import restate\n").returncode == 0


def test_stdin_filename_takes_that_paths_config(project):
    (project / "pyproject.toml").write_text('[tool.rea]\nper-file-ignores = {"legacy/*" = ["REA1"]}\nexclude = ["gen"]\n')
    assert rea(project, "--stdin-filename", "legacy/x.py", stdin=MIXED).stdout == "All checked files are replay-safe (1 file).\n"
    excluded = rea(project, "--stdin-filename", "gen/x.py", stdin=MIXED)
    assert excluded.returncode == 0 and "REA" not in excluded.stdout


def test_stdin_fix_prints_the_fixed_code_and_reports_on_stderr(project):
    proc = rea(project, "--fix", "--stdin-filename", "svc.py", stdin=MIXED)
    assert "uuid.uuid4()" not in proc.stdout and "ctx.uuid()" in proc.stdout
    assert proc.stdout.replace("ctx.uuid()", "uuid.uuid4()") == MIXED
    assert "svc.py:12:12: REA101" in proc.stderr and "Fixed 1 finding (REA103 x1) in 1 file." in proc.stderr
    assert proc.returncode == 1  # REA101 and REA109 are left


def test_dash_with_other_paths_is_a_usage_error(project, capsys):
    code, _, err = run(capsys, "-", "x.py")
    assert code == 2 and err.count("\n") == 1 and "stdin" in err


# --- output -----------------------------------------------------------------------------------------


def test_full_format_shows_the_source_line_and_a_caret(project, capsys):
    (project / "svc.py").write_text(MIXED)
    code, out, _ = run(capsys, "--output-format", "full", "--show-fixes", "svc.py")  # (planned fixes: the [*] marks)
    assert code == 1
    block = out.split("\n\n")[1].splitlines()
    assert block == [
        "error[REA101] [*unsafe] time-in-handler: `time.time()` reads the clock, which returns a different value on every replay; "
        "use `await ctx.time()` (journaled), or read it inside `ctx.run(...)`",
        "  --> svc.py:12:12",
        "   |",
        "12 |     return time.time(), uuid.uuid4(), x",
        "   |            ^^^^^^^^^^^",
        "   |",
    ]
    assert out.startswith("warning[REA109] env-in-handler:")
    assert out.count("^") == sum(len(s) for s in ("os.environ[\"A\"]", "time.time()", "uuid.uuid4()", "time.time()"))


def test_default_format_is_full_on_a_terminal_and_concise_in_a_pipe(project):
    (project / "svc.py").write_text(MIXED)
    piped = rea(project, "svc.py")
    assert piped.stdout.startswith("svc.py:11:9: warning: REA109 env-in-handler")
    assert "\x1b[" not in piped.stdout
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: rea with a terminal on stdout
        os.chdir(project)
        os.execve(sys.executable, [sys.executable, "-m", "rea_lint", "check", "--no-cache", "svc.py"], {**os.environ, "PYTHONPATH": str(REPO)})
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    tty = b"".join(chunks).decode()
    assert "\x1b[1;33mwarning[REA109]" in tty and "-->" in tty and "^^^" in tty


@pytest.mark.parametrize(("flag", "env", "colored"), [
    ("always", {}, True), ("never", {"FORCE_COLOR": "1"}, False), ("auto", {}, False), ("auto", {"FORCE_COLOR": "1"}, True),
])
def test_color(project, flag, env, colored):
    (project / "svc.py").write_text(MIXED)
    proc = rea(project, "--color", flag, "svc.py", env=env)
    assert ("\x1b[" in proc.stdout) == colored
    if colored:
        assert "\x1b[1;33mREA109\x1b[0m" in proc.stdout and "\x1b[1;31mREA101\x1b[0m" in proc.stdout


def test_no_color_wins_over_auto(project):
    (project / "svc.py").write_text(MIXED)
    assert "\x1b[" not in rea(project, "svc.py", env={"NO_COLOR": "1"}).stdout


def test_warnings_look_like_warnings_in_every_format(project, capsys):
    (project / "svc.py").write_text(MIXED)
    _, concise, _ = run(capsys, "--output-format", "concise", "svc.py")
    lines = concise.splitlines()
    assert lines[0].startswith("svc.py:11:9: warning: REA109") and lines[1].startswith("svc.py:12:12: REA101")
    assert "Found 3 errors and 1 warning in 1 file." in concise
    _, gh, _ = run(capsys, "--output-format", "github", "svc.py")
    assert gh.splitlines()[0].startswith("::warning ") and gh.splitlines()[1].startswith("::error ")


def test_quiet_prints_findings_only(project, capsys):
    (project / "svc.py").write_text(MIXED)
    code, out, err = run(capsys, "-q", "--output-format", "concise", "svc.py")
    assert code == 1 and len(out.splitlines()) == 4 and "Found" not in out and err == ""
    (project / "svc.py").write_text("import restate\n")
    assert run(capsys, "-q", "svc.py")[1:] == ("", "")


# --- honest summaries -------------------------------------------------------------------------------


def test_plain_summary_says_what_it_knows_without_planning_fixes(project, capsys):
    """A plain run does not plan fixes (libcst costs more than the analysis): it counts the
    findings of rules with an autofix, exactly, and points at what says more."""
    (project / "svc.py").write_text(MIXED)
    _, out, _ = run(capsys, "--output-format", "concise", "svc.py")
    assert "3 findings of rules with an autofix (REA101 x2, REA103 x1): `rea check --diff` previews" in out
    assert "REA101 has an unsafe fix, applied only with `--unsafe-fixes`" in out
    assert "[*" not in out and "fixable with" not in out and "cannot be fixed automatically" not in out
    (project / "svc.py").write_text(MIXED.replace("x = os.environ", "x = 1  # os.environ"))
    _, out, _ = run(capsys, "--output-format", "concise", "--select", "REA109", "svc.py")
    assert "autofix" not in out  # no finding of a fixable rule: nothing said about fixes


def test_plain_check_never_imports_libcst(project):
    (project / "svc.py").write_text(MIXED)
    probe = "import sys\nfrom rea_lint.cli import main\nmain(['check', '--no-cache', 'svc.py'])\nprint('libcst' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, timeout=120)
    assert "Found 3 errors and 1 warning" in out.stdout and out.stdout.strip().endswith("False")
    probe = probe.replace("'svc.py'", "'--show-fixes', 'svc.py'")
    out = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().endswith("True")  # the probe can tell


def test_fix_counts_say_what_fix_will_do_and_why_not(project, capsys):
    (project / "svc.py").write_text(MIXED)
    _, out, _ = run(capsys, "--show-fixes", "--output-format", "concise", "svc.py")
    assert "1 fixable with `rea check --fix`" in out
    assert "1 more fixable only with `rea check --fix --unsafe-fixes`" in out
    assert "1 REA101 finding cannot be fixed automatically here: only `time.time()`" in out and "async def" in out
    code, out, _ = run(capsys, "--fix", "--unsafe-fixes", "--output-format", "concise", "svc.py")
    assert "Fixed 2 findings (REA101 x1, REA103 x1) in 1 file." in out
    assert "1 x REA101 left that --fix cannot fix: only" in out
    # what the first summary promised is exactly what happened, and nothing is promised again
    _, out, _ = run(capsys, "--show-fixes", "--output-format", "concise", "svc.py")
    assert "fixable" not in out and "1 REA101 finding cannot be fixed automatically here" in out


def test_one_file_is_one_file(project, capsys):
    (project / "ok.py").write_text("import restate\n")
    assert run(capsys, "ok.py")[1] == "All checked files are replay-safe (1 file).\n"


def test_excluding_everything_is_not_replay_safe(project, capsys):
    (project / "pyproject.toml").write_text('[tool.rea]\nexclude = ["*"]\n')
    (project / "svc.py").write_text(MIXED)
    code, out, err = run(capsys, ".")
    assert code == 0 and "replay-safe" not in out
    assert err.startswith("warning: no Python files to check")


# --- fixing -----------------------------------------------------------------------------------------


def test_fix_only_reports_fixes_not_findings(project, capsys):
    (project / "svc.py").write_text(MIXED)
    code, out, _ = run(capsys, "--fix-only", "svc.py")
    assert code == 0 and "REA101 time-in-handler" not in out and "Fixed 1 finding (REA103 x1) in 1 file." in out
    assert "ctx.uuid()" in (project / "svc.py").read_text()
    (project / "svc.py").write_text(MIXED)
    assert run(capsys, "--fix-only", "--exit-non-zero-on-fix", "svc.py")[0] == 1
    assert run(capsys, "--fix-only", "--exit-non-zero-on-fix", "svc.py")[0] == 0  # nothing left to fix


def test_exit_non_zero_on_fix(project, capsys):
    fixable = "import uuid, restate\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return uuid.uuid4()\n"
    (project / "svc.py").write_text(fixable)
    assert run(capsys, "--fix", "svc.py")[0] == 0  # fixed, nothing left
    (project / "svc.py").write_text(fixable)
    assert run(capsys, "--fix", "--exit-non-zero-on-fix", "svc.py")[0] == 1


def test_show_fixes(project, capsys):
    (project / "svc.py").write_text(MIXED)
    _, out, _ = run(capsys, "--show-fixes", "--output-format", "concise", "svc.py")
    assert "Fixable with `rea check --fix`:\n  svc.py: 1 x REA103 (uuid-in-handler)\n" in out
    _, out, _ = run(capsys, "--fix", "--show-fixes", "--output-format", "concise", "svc.py")
    assert "Fixed:\n  svc.py: 1 x REA103 (uuid-in-handler)\n" in out


def test_diff_exit_codes_are_rufs(project, capsys):
    (project / "svc.py").write_text(MIXED)
    code, out, _ = run(capsys, "--diff", "svc.py")
    assert code == 1 and "+    return time.time(), ctx.uuid(), x" in out
    (project / "svc.py").write_text(MIXED.replace("uuid.uuid4()", "ctx.uuid()"))
    code, out, err = run(capsys, "--diff", "svc.py")
    assert code == 0 and out == ""  # REA101/REA109 findings are left, but --diff has nothing to change


# --- --add-noqa -------------------------------------------------------------------------------------


def test_add_noqa_keeps_existing_codes_and_is_idempotent(project, capsys):
    source = MIXED.replace('x = os.environ["A"]', 'x = os.environ["A"]  # noqa: E501')
    (project / "svc.py").write_text(source)
    code, out, _ = run(capsys, "--add-noqa", "svc.py")
    assert code == 0 and out == "Added 3 noqa directives.\n"
    text = (project / "svc.py").read_text()
    assert 'x = os.environ["A"]  # noqa: E501, REA109\n' in text
    assert "return time.time(), uuid.uuid4(), x  # noqa: REA101, REA103\n" in text
    assert "\n    return time.time()  # noqa: REA101\n" in text
    assert run(capsys, "--add-noqa", "svc.py")[1] == "Added 0 noqa directives.\n"
    assert (project / "svc.py").read_text() == text
    assert run(capsys, "svc.py")[0] == 0


def test_add_noqa_completes_comments_flake8_would_not_honour(project, capsys):
    """`# noqa: rea109` (flake8 compares codes as written) and `#noqa` (flake8 wants `# noqa`)
    silence nothing, in flake8 or in `rea check`: `--add-noqa` adds the code, and afterwards
    both are silent."""
    source = MIXED.replace('x = os.environ["A"]', 'x = os.environ["A"]  # noqa: rea109 - reviewed')
    source = source.replace("return time.time(), uuid.uuid4(), x", "return time.time(), uuid.uuid4(), x  #noqa")
    (project / "svc.py").write_text(source)
    code, out, _ = run(capsys, "--add-noqa", "svc.py")
    assert code == 0 and out == "Added 3 noqa directives.\n", out
    text = (project / "svc.py").read_text()
    assert 'x = os.environ["A"]  # noqa: rea109, REA109 - reviewed\n' in text
    assert "return time.time(), uuid.uuid4(), x  #noqa  # noqa: REA101, REA103\n" in text
    assert run(capsys, "svc.py")[0] == 0
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "REA", "svc.py"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert flake8.returncode == 0 and flake8.stdout == "", flake8.stdout + flake8.stderr


def test_add_noqa_never_writes_into_a_string(project, capsys):
    """A finding inside a string written over several lines gets its comment after the closing
    quotes, where flake8 and `rea check` read it: the string is unchanged and the file silent."""
    source = MIXED.replace("return time.time(), uuid.uuid4(), x", 'return (time.time(), """\n    text""")')
    (project / "svc.py").write_text(source)
    code, out, err = run(capsys, "--add-noqa", "svc.py")
    assert code == 0 and err == "", err
    text = (project / "svc.py").read_text()
    assert 'return (time.time(), """\n    text""")  # noqa: REA101\n' in text
    compile(text, "svc.py", "exec")
    assert run(capsys, "svc.py")[0] == 0


# --- per-file-ignores / exclude --------------------------------------------------------------------


def test_per_file_ignores(project, capsys):
    (project / "pyproject.toml").write_text('[tool.rea]\nper-file-ignores = {"tests/*" = ["REA1"], "scripts/x.py" = ["REA101"]}\n')
    for d in ("tests", "scripts", "app"):
        (project / d).mkdir()
        (project / d / "x.py").write_text(MIXED)
    _, out, _ = run(capsys, "--output-format", "concise", ".")
    found = sorted({(line.split(":")[0], "REA" + line.split("REA")[1][:3]) for line in out.splitlines() if line.endswith("]") or ": REA" in line or ": warning: REA" in line})
    assert found == [("app/x.py", "REA101"), ("app/x.py", "REA103"), ("app/x.py", "REA109"), ("scripts/x.py", "REA103"), ("scripts/x.py", "REA109")]


# --- -o ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "message"), [("missing/dir/out.sarif", "does not exist"), (".", "is a directory")])
def test_output_file_errors_are_one_line_exit_2(project, capsys, target, message):
    (project / "svc.py").write_text(MIXED)
    code, out, err = run(capsys, "--format", "sarif", "-o", target, "svc.py")
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err and "-o" in err


# --- rule --all --format json, SARIF URIs ----------------------------------------------------------


def test_rule_all_json(capsys):
    assert main(["rule", "--all", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in data] == list(RULES)
    first = data[0]
    assert first["name"] == RULES[first["code"]].name and first["url"].endswith(f"docs/rules/{first['code']}.md")
    assert main(["rule", "REA103", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["fix"] == "safe"
    assert main(["rule"]) == 2
    assert main(["rule", "REA1O1"]) == 2 and "did you mean" in capsys.readouterr().err


def test_sarif_has_information_and_help_uris(project, capsys):
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    (project / "svc.py").write_text(MIXED)
    _, out, _ = run(capsys, "--format", "sarif", "svc.py")
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    homepage = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
    assert driver["informationUri"] == homepage
    assert len(driver["rules"]) == len(RULES)
    for rule in driver["rules"]:
        assert rule["helpUri"] == f"{homepage}/blob/main/docs/rules/{rule['id']}.md"
        assert (REPO / "docs" / "rules" / f"{rule['id']}.md").is_file()


def test_many_files_count_per_rule_and_show_fixes_plans_each(project, capsys):
    for i in range(3):
        (project / f"svc{i}.py").write_text(MIXED)
    _, out, _ = run(capsys, "--output-format", "concise", ".")
    assert "9 findings of rules with an autofix (REA101 x6, REA103 x3)" in out
    assert "[*" not in out and "fixable with" not in out
    _, out, _ = run(capsys, "--show-fixes", "--output-format", "concise", ".")
    assert "3 fixable with `rea check --fix`" in out and "3 REA101 findings cannot be fixed automatically here" in out
    assert out.count("[*]") == 3
