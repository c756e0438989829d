"""The benchmarks' instruction counts (`benchmarks.instructions`): a second figure for a noisy ratio."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from benchmarks import instructions
from benchmarks.linter import _counted, _sample


def test_without_valgrind_the_figure_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no valgrind on it
    assert not instructions.available()
    said = _counted([sys.executable, "-c", "pass"], [sys.executable, "-c", "pass"], tmp_path)
    assert isinstance(said, str) and "valgrind is not installed" in said


def test_the_sample_names_what_it_took() -> None:
    files = [Path(f"m{i}.py") for i in range(10)]
    assert _sample(files, 10) == ([str(f) for f in files], "all 10 files")
    taken, which = _sample(files, 4)
    assert taken == ["m0.py", "m3.py", "m6.py", "m9.py"] and which == "4 of the files (one in 3)"


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind (a Debian package) is not installed here")
def test_more_work_counts_more_instructions(tmp_path: Path) -> None:
    idle = [sys.executable, "-S", "-c", "pass"]
    busy = [sys.executable, "-S", "-c", "for i in range(200_000): pass"]
    few, many = instructions.counts([idle, busy], tmp_path, {"PATH": "/usr/bin:/bin"})
    assert few > 1_000_000  # an interpreter's start-up alone
    assert many > few + 200_000 * 5  # a loop turn is several instructions
    assert instructions.count(idle, tmp_path, {"PATH": "/usr/bin:/bin"}) == few  # hash seed fixed: the same count
