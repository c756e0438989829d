"""`[tool.rea]`: validated strictly, shared by every front end, one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.config import ConfigError, forget, load_config, load_file, parse_table
from rea_lint.catalog import Severity


def test_defaults_enable_every_rule_but_the_opt_in_ones() -> None:
    codes = parse_table({}).enabled_codes()
    assert "REA101" in codes and "REA111" not in codes


@pytest.mark.parametrize(
    ("table", "on", "off"),
    [
        ({"select": ["REA1"]}, {"REA101", "REA110"}, {"REA201", "REA111"}),
        ({"ignore": ["REA109"]}, {"REA101"}, {"REA109"}),
        ({"select": ["REA"], "ignore": ["REA2"], "extend-select": ["REA202"]}, {"REA202", "REA101"}, {"REA201"}),
        ({"extend-select": ["REA111"]}, {"REA111", "REA101"}, set()),
        ({"select": ["REA111"]}, {"REA111"}, {"REA101"}),
    ],
)
def test_selection(table: dict, on: set, off: set) -> None:
    cfg = parse_table(table)
    assert on <= cfg.enabled_codes()
    assert not (off & cfg.enabled_codes())


@pytest.mark.parametrize(
    ("table", "names"),
    [
        ({"selct": ["REA1"]}, "selct"),
        ({"select": ["E501"]}, "select"),
        ({"severity": {"REA109": "fatal"}}, "severity.REA109"),
        ({"severity": {"REA999": "error"}}, "severity.REA999"),
        ({"context-types": {"a.B": "Ctx"}}, "context-types.a.B"),
        ({"min-sleep-seconds": -1}, "min-sleep-seconds"),
        ({"runtime": {"policy": "loud"}}, "runtime.policy"),
        ({"runtime": {"polcy": "warn"}}, "runtime.polcy"),
        ({"extra-calls": {"REA101": "myapp.now"}}, "extra-calls.REA101"),
        ({"extra-calls": {"REA101": [1]}}, "extra-calls.REA101"),
        ({"select": "REA1"}, "select"),
        ({"ignore": "REA101"}, "ignore"),
        ({"select": []}, "select"),
        ({"per-file-ignores": {"tests/*": ["REA9"]}}, "per-file-ignores.tests/*"),
        ({"per-file-ignores": ["tests/*"]}, "per-file-ignores"),
        ({"src": "src"}, "src"),
    ],
)
def test_bad_values_name_the_key_in_one_line(table: dict, names: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_table(table)
    text = str(err.value)
    assert names in text and "\n" not in text


def test_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\nseverity = {REA109 = "error"}\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    cfg = load_config(deep / "x.py")
    assert not cfg.is_enabled("REA101")
    assert cfg.severity_of("REA109") is Severity.ERROR
    assert cfg.source == str(tmp_path / "pyproject.toml")


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "pyproject.toml"
    bad.write_text("[tool.rea\nselect = 1\n")
    with pytest.raises(ConfigError) as err:
        load_file(bad)
    assert "not valid TOML" in str(err.value) and "\n" not in str(err.value)


def _flake8(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8", "--select", "REA", "."], cwd=project, capture_output=True, text=True, timeout=120)


HANDLER = "import restate, time\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return time.time()\n"


def test_flake8_reads_the_same_config(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(HANDLER)
    assert "REA101" in _flake8(tmp_path).stdout
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\n')
    proc = _flake8(tmp_path)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"selct": ["REA1"]}, "selct: unknown key; did you mean 'select'?"),
        ({"per-file-ignore": {}}, "did you mean 'per-file-ignores'?"),
        ({"select": ["REA1O1"]}, "'REA1O1' matches no rule code; did you mean 'REA1"),
        ({"ignore": ["E501"]}, "'E501' matches no rule code (codes look like REA101"),
        ({"select": "REA1"}, 'got the string \'REA1\'; write select = ["REA1"]'),
        ({"select": []}, "an empty list would turn every rule off"),
        ({"runtime": {"policy": "strikt"}}, "did you mean 'strict'?"),
        ({"min-sleep-seconds": float("nan")}, "min-sleep-seconds: expected a non-negative number, got nan"),
        ({"min-sleep-seconds": float("inf")}, "min-sleep-seconds: expected a non-negative number, got inf"),
        ({"extra-calls": {"REA101": ["not a name!!"]}}, "extra-calls.REA101: 'not a name!!' is not a qualified Python name"),
        ({"handler-decorators": [""]}, "handler-decorators: '' is not a qualified Python name"),
        ({"restate-modules": ["myapp..wrapper"]}, "restate-modules: 'myapp..wrapper' is not a qualified Python name"),
        ({"context-types": {"myapp Ctx": "Context"}}, "context-types: 'myapp Ctx' is not a qualified Python name"),
        ({"context-types": ["myapp.Ctx", "1st.Ctx"]}, "context-types: '1st.Ctx' is not a qualified Python name"),
    ],
)
def test_errors_say_the_fix(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_table(table, source="p/pyproject.toml")


def test_an_empty_ignore_or_extend_select_is_fine() -> None:
    assert parse_table({"ignore": [], "extend-select": []}).enabled_codes() == parse_table({}).enabled_codes()


MALFORMED = {
    "tool-is-a-string": (b'tool = "x"\n# [tool.rea]\n', "`tool` must be a table"),
    "tool-is-a-list": (b'tool = [1, 2]\n# [tool.rea]\n', "`tool` must be a table"),
    "rea-is-a-string": (b'[tool]\nrea = "x"\n', "`tool.rea` must be a table"),
    "deep": (b"[tool.rea]\nx = " + b"[" * 1200 + b"]" * 1200 + b"\n", "nested too deeply"),
    "deep-tables": (b"[tool.rea]\nx = " + b"{a = " * 1200 + b"1" + b"}" * 1200 + b"\n", "nested too deeply"),
    "not-utf8": (b'[tool.rea]\nselect = ["REA1"]\n# caf\xe9\n', "not UTF-8"),
    "not-toml": (b"[tool.rea\nselect = 1\n", "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_pyproject_is_one_line_in_the_loader(tmp_path: Path, case: str) -> None:
    content, message = MALFORMED[case]
    (tmp_path / "pyproject.toml").write_bytes(content)
    for load in (lambda: load_config(tmp_path / "x.py"), lambda: load_file(tmp_path / "pyproject.toml")):
        forget()
        with pytest.raises(ConfigError) as err:
            load()
        text = str(err.value)
        assert text.startswith(str(tmp_path / "pyproject.toml") + ": ") and message in text and "\n" not in text


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_pyproject_fails_rea_check_and_flake8_with_exit_2(tmp_path: Path, case: str) -> None:
    content, message = MALFORMED[case]
    (tmp_path / "svc.py").write_text(HANDLER)
    (tmp_path / "pyproject.toml").write_bytes(content)
    for argv in ([sys.executable, "-m", "rea_lint", "check", "--no-cache", "."], [sys.executable, "-m", "flake8", "--select", "REA101", "."]):
        proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (argv, proc.stdout, proc.stderr)
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and message in lines[0] and "pyproject.toml" in lines[0], proc.stderr
        assert proc.stdout == ""


@pytest.mark.parametrize(
    "content",
    [
        'tool.rea.ignore = ["REA101"]\n',
        '[tool]\nrea.ignore = ["REA101"]\n',
        '[tool.rea]\n"ignore" = ["REA101"]\n',
        '[project]\nname = "x"\n[tool]\nrea = {ignore = ["REA101"]}\n',
    ],
)
def test_dotted_and_inline_keys_are_read_as_toml_defines_them(tmp_path: Path, content: str) -> None:
    (tmp_path / "pyproject.toml").write_text(content)
    forget()
    cfg = load_config(tmp_path / "svc.py")
    assert cfg.source == str(tmp_path / "pyproject.toml")
    assert not cfg.is_enabled("REA101") and cfg.is_enabled("REA102")


def test_a_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "pkg"\nreadme = "README.md"\n')
    forget()
    assert load_config(tmp_path / "pkg" / "m.py").source == str(tmp_path / "pyproject.toml")


@pytest.mark.parametrize("select", ["REA101", "E"])
def test_flake8_fails_once_per_run_on_a_broken_config_whatever_select_says(tmp_path: Path, select: str) -> None:
    for i in range(5):
        (tmp_path / f"svc{i}.py").write_text(HANDLER)
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nslect = ["REA1"]\n')
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", select, "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("slect") == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "did you mean 'select'?" in proc.stderr and str(tmp_path / "pyproject.toml") in proc.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_flake8_fails_on_a_broken_config_found_below_the_named_path(tmp_path: Path, jobs: str) -> None:
    """Found before any file is checked, in flake8's main process: one line, exit 2. (Raised in
    a `--jobs` worker instead, it made flake8 tear its pool down, which hung now and then: one
    run in about a hundred under load, and once in CI.)"""
    (tmp_path / "svc.py").write_text(HANDLER)
    (tmp_path / "sub").mkdir()
    for i in range(3):
        (tmp_path / "sub" / f"svc{i}.py").write_text(HANDLER)
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.rea]\nignore = "REA101"\n')
    proc = subprocess.run([sys.executable, "-m", "flake8", "-j", jobs, "--select", "E", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("flake8: error: rea: ") and 'write ignore = ["REA101"]' in proc.stderr
    assert str(tmp_path / "sub" / "pyproject.toml") in proc.stderr


def test_flake8_leaves_alone_a_broken_config_below_an_excluded_directory(tmp_path: Path) -> None:
    """What flake8 does not check (its --exclude) is not configured either."""
    (tmp_path / "svc.py").write_text(HANDLER)
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "svc.py").write_text(HANDLER)
    (tmp_path / "vendored" / "pyproject.toml").write_text('[tool.rea]\nignore = "REA101"\n')
    proc = subprocess.run([sys.executable, "-m", "flake8", "--extend-exclude", "vendored", "--select", "REA", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    assert proc.stdout.split(":")[:2] == ["./svc.py", "5"], proc.stdout


def test_flake8_checker_still_fails_on_a_broken_config_it_meets(tmp_path: Path) -> None:
    """Where nothing was loaded up front (a flake8 whose file discovery rea cannot call), the
    checker made for a file refuses a broken configuration itself: its constructor raises
    `BrokenConfiguration`, the one exception flake8 reports as a plugin's failure."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "svc.py").write_text(HANDLER)
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.rea]\nignore = "REA101"\n')
    script = ("import ast, sys\nfrom rea_lint.flake8_plugin import ReaChecker\n"
              "ReaChecker(ast.parse(open(sys.argv[1]).read()), sys.argv[1], None)\n")
    proc = subprocess.run([sys.executable, "-c", script, "sub/svc.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "BrokenConfiguration" in proc.stderr and 'write ignore = ["REA101"]' in proc.stderr


def test_flake8_honours_exclude_and_per_file_ignores_as_rea_check_does(tmp_path: Path) -> None:
    for d in ("gen", "tests", "app"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "svc.py").write_text(HANDLER)
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nexclude = ["gen"]\nper-file-ignores = {"tests/*" = ["REA101"]}\n')
    flake = subprocess.run([sys.executable, "-m", "flake8", "--select", "REA", "--format", "%(path)s:%(code)s", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    rea = subprocess.run([sys.executable, "-m", "rea_lint", "check", "-q", "--no-cache", "--output-format", "concise", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert flake.stdout.split() == ["./app/svc.py:REA101"]
    found = [line.split(":")[0] + ":" + line.split(": ")[1].split()[0] for line in rea.stdout.splitlines() if ": REA" in line or "REA1" in line]
    assert found == ["app/svc.py:REA101"], rea.stdout


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_config_named_with_dash_dash_config_is_one_line(tmp_path: Path, case: str) -> None:
    content, message = MALFORMED[case]
    (tmp_path / "svc.py").write_text(HANDLER)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "pyproject.toml").write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "rea_lint", "check", "--no-cache", "--config", "conf/pyproject.toml", "svc.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and message in proc.stderr, proc.stderr


def test_dash_dash_config_naming_a_directory(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(HANDLER)
    proc = subprocess.run([sys.executable, "-m", "rea_lint", "check", "--config", ".", "svc.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr == "rea: error: --config .: is a directory; name its pyproject.toml\n"


@pytest.mark.parametrize("content", [b'[project]\nname = "x"\n', b'tool = "x"\n', b""])
def test_dash_dash_config_naming_a_file_without_the_table(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "svc.py").write_text(HANDLER)
    (tmp_path / "other.toml").write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "rea_lint", "check", "--config", "other.toml", "svc.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "rea: error: --config other.toml: has no [tool.rea] table; add one, or name the pyproject.toml that has it\n"


def test_deep_nesting_is_refused_whatever_the_recursion_limit(tmp_path: Path) -> None:
    """mypy raises the limit in-process; the answer must not depend on it."""
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\nx = " + "[" * 150 + "]" * 150 + "\n")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        forget()
        with pytest.raises(ConfigError, match="nested too deeply \\(150 levels; rea reads up to 100\\)"):
            load_file(tmp_path / "pyproject.toml")
    finally:
        sys.setrecursionlimit(limit)
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nextra-calls = {REA101 = ["a.b"]}\n# [[[[[ "[[[" \n')
    forget()
    assert load_file(tmp_path / "pyproject.toml").extra_calls == {"REA101": ("a.b",)}
