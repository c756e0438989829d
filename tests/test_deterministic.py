"""Findings depend on the code alone: not on which files were checked before (memory freed by
one file is reused by the next, so object addresses differ), nor on Python's string hashing,
which changes the order of sets from run to run (PYTHONHASHSEED).

Both once changed a message or dropped a finding: a chain named a different read of
`os.environ` from run to run, and REA108 missed a nested function's client in some files.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from rea_lint.engine import check_tree
from tests.conftest import REPO

SOURCES = [
    (str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))
    for base in ("fixtures", "examples", "tests/runtime", "tests/replay")
    for path in sorted((REPO / base).rglob("*.py"))
]


def _findings(text: str, flake8: bool) -> list[tuple[int, int, str, str]]:
    tree = ast.parse(text)
    found = check_tree(tree, lines=text.splitlines(True), text=text) if flake8 else check_tree(tree)
    return [(f.line, f.col, f.code, f.message) for f in found]


def test_every_module_reads_the_same_whatever_was_checked_before() -> None:
    first = {name: _findings(text, False) for name, text in SOURCES}
    compared = 0
    for flake8 in (False, True):
        for name, text in reversed(SOURCES):  # other neighbours, other addresses
            assert _findings(text, flake8) == first[name], name
            compared += 1
    assert len(SOURCES) >= 170, len(SOURCES)
    assert compared == 2 * len(SOURCES)
    reported = sum(1 for found in first.values() if found)
    assert reported >= 50, reported  # else few modules have findings, and little is compared


def test_the_output_is_the_same_under_every_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for seed in ("0", "1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "rea_lint", "check", "--no-cache", "--output-format", "json", "fixtures", "examples"],
            capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert done.returncode == 1, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(json.loads(outputs[0])["findings"]) >= 200
