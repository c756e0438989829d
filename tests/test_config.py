"""`[tool.rea]`: validated strictly, shared by every front end, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.config import ConfigError, load_config, load_file, parse_table
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
        ({"extra-calls": {"REA101": "myapp.now"}}, None),
        ({"extra-calls": {"REA101": [1]}}, "extra-calls.REA101"),
    ],
)
def test_bad_values_name_the_key_in_one_line(table: dict, names: str | None) -> None:
    if names is None:
        parse_table(table)  # a single string is accepted as a one-element list
        return
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


def test_flake8_reports_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(HANDLER)
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nslect = ["REA1"]\n')
    proc = _flake8(tmp_path)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "REA000" in proc.stdout and "slect" in proc.stdout
