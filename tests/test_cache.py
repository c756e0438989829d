"""The result cache: an unchanged file (content, config, rea version) is not analysed again."""

from __future__ import annotations

import json

import pytest

from rea_lint import runner
from rea_lint.cli import main

BAD = (
    "import time\nimport restate\nsvc = restate.Service('s')\n\n"
    "@svc.handler()\nasync def h(ctx: restate.Context):\n    return time.time()\n"
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys, *argv: str) -> tuple[int, int, str]:
    """(exit code, files analysed, stdout) of one in-process `rea check -j1`."""
    before = runner.ANALYSES
    code = main(["check", "-j", "1", *argv])
    return code, runner.ANALYSES - before, capsys.readouterr().out


def test_unchanged_files_are_not_analysed_again(project, capsys):
    first = check(capsys, ".")
    second = check(capsys, ".")
    assert first[1] == 3 and second[1] == 0
    assert first[0] == second[0] == 1
    assert first[2] == second[2]  # same report from the cache
    assert (project / ".rea_cache" / "CACHEDIR.TAG").is_file()


def test_a_changed_file_is_analysed_again(project, capsys):
    check(capsys, ".")
    (project / "m1.py").write_text(BAD.replace("time.time()", "await ctx.time()"))
    code, analysed, out = check(capsys, ".")
    assert analysed == 1
    assert "m1.py" not in out


def test_a_changed_config_invalidates(project, capsys):
    check(capsys, ".")
    (project / "pyproject.toml").write_text("[tool.rea]\nseverity = { REA101 = 'warning' }\n")
    assert check(capsys, ".")[1] == 3
    assert check(capsys, ".")[1] == 0
    assert check(capsys, "--ignore", "REA101", ".")[1] == 3  # command-line overrides are config too


def test_no_cache_and_cache_dir(project, capsys):
    check(capsys, ".")
    assert check(capsys, "--no-cache", ".")[1] == 3
    assert check(capsys, "--cache-dir", "elsewhere", ".")[1] == 3
    assert (project / "elsewhere").is_dir()


def test_report_formats_share_the_cached_results(project, capsys):
    """A plain text run does not plan fixes (libcst), so json, which publishes each fix's
    edit, analyses the files once more; json, sarif and `--show-fixes` share those entries."""
    check(capsys, ".")
    assert check(capsys, ".")[1] == 0
    code, analysed, out = check(capsys, "--format", "json", ".")
    assert analysed == 3
    assert json.loads(out)["findings"][0]["fix"]["edits"]
    assert check(capsys, "--format", "sarif", ".")[1] == 0
    assert check(capsys, "--show-fixes", ".")[1] == 0


def test_fix_reanalyses_only_files_it_could_change(project, capsys):
    (project / "clean.py").write_text("import restate\n")
    check(capsys, ".")
    code, analysed, _ = check(capsys, "--fix", "--unsafe-fixes", ".")
    assert analysed == 3 and code == 0
    assert "await ctx.time()" in (project / "m0.py").read_text()
    assert check(capsys, ".")[1] == 3  # fixed files have new content
    assert check(capsys, ".")[1] == 0


def test_a_corrupt_entry_is_a_miss(project, capsys):
    check(capsys, ".")
    for entry in (project / ".rea_cache").rglob("*.json"):
        entry.write_text("{not json")
    assert check(capsys, ".")[1] == 3
