"""A warm incremental run and the daemon report what a cold run reports.

The interesting warm case: the handler module changes while `clock_util` (where
`now = datetime.now` lives) comes from the cache without its definition.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.mypy.conftest import CASES
from tests.mypy.harness import MypyResult, parse, run_mypy, write_config


def _copy_cases(tmp: Path) -> Path:
    dst = tmp / "cases"
    shutil.copytree(CASES, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _touch(path: Path) -> None:
    path.write_text(path.read_text() + "\n# edited\n")


def _diff(got: MypyResult, cold: MypyResult) -> str:
    return (f"missing {sorted(cold.findings - got.findings)}; extra {sorted(got.findings - cold.findings)}\n"
            + got.stdout[-4000:] + got.stderr[-2000:])


def test_incremental_runs_match_cold(tmp_path: Path, cases_result: MypyResult) -> None:
    cases = _copy_cases(tmp_path)
    cache = str(tmp_path / "cache")
    cold = run_mypy(cases, cache_dir=cache)
    assert cold.findings == cases_result.findings
    warm = run_mypy(cases, cache_dir=cache)  # everything from the cache
    assert warm.findings == cold.findings
    _touch(cases / "rea101_time.py")  # re-checked against a cached clock_util
    _touch(cases / "rea202_shared_write.py")
    edited = run_mypy(cases, cache_dir=cache)
    assert edited.findings == cold.findings


def test_dmypy_matches_cold(tmp_path: Path, cases_result: MypyResult) -> None:
    cases = _copy_cases(tmp_path)
    cfg = write_config(tmp_path)
    # the daemon runs in tmp_path: the repository goes on its path as the cold run's working
    # directory puts it there (else `rea_runtime`, installed editable, is unknown to it alone)
    env = {**os.environ, "MYPYPATH": os.pathsep.join([str(cases), str(Path(__file__).resolve().parents[2])])}
    status = str(tmp_path / "dmypy.json")
    base = [sys.executable, "-m", "mypy.dmypy", "--status-file", status]
    args = ["--", str(cases), "--config-file", str(cfg), "--cache-dir", str(tmp_path / "cache"),
            "--show-error-codes", "--no-error-summary", "--hide-error-context", "--no-pretty",
            "--show-absolute-path", "--explicit-package-bases"]

    def run() -> MypyResult:
        p = subprocess.run([*base, "run", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        return parse(p.stdout, p.stderr, p.returncode, cases.resolve())

    try:
        first = run()
        assert first.findings == cases_result.findings, _diff(first, cases_result)
        _touch(cases / "rea101_time.py")
        _touch(cases / "clock_util.py")
        second = run()
        assert second.findings == cases_result.findings, _diff(second, cases_result)
    finally:
        subprocess.run([*base, "kill"], capture_output=True, env=env, cwd=tmp_path, timeout=60)
