"""rea's own code passes mypy: a tool that asks its users for typed handlers keeps its types true.

Every `# type: ignore` names its error codes, and none is left once its error is gone
(`--warn-unused-ignores`), so an ignore cannot hide a new error of another kind.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rea_lint", "rea_runtime", "mypy_plugin")


OLDEST = re.findall(r'requires-python = ">=(3\.\d+)"', (ROOT / "pyproject.toml").read_text())[0]
"""`requires-python` in pyproject.toml: the oldest Python rea promises to run on."""
NEWEST = "3.13"
"""The newest Python rea's whole suite has passed on (3.13.0, 2026-12-04)."""


@pytest.mark.parametrize("python", ["running", OLDEST, NEWEST])
def test_rea_type_checks_clean(tmp_path: Path, python: str) -> None:
    """Also as the oldest and newest supported Pythons see it: typeshed knows what each version's
    stdlib has, so a call only a newer Python takes (`CodeType.replace(co_qualname=...)` broke
    rea_runtime on 3.10 once) fails here, on whatever Python the suite runs."""
    (tmp_path / "none.ini").write_text("[mypy]\n")  # mypy's defaults, whatever the user's config says
    version = [] if python == "running" else ["--python-version", python]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--warn-unused-ignores", *version, "--cache-dir", str(tmp_path / "cache"),
         "--config-file", str(tmp_path / "none.ini"), *PACKAGES],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checked = int(proc.stdout.rsplit(" in ", 1)[1].split()[0])
    assert checked == sum(1 for p in PACKAGES for _ in (ROOT / p).rglob("*.py")), proc.stdout
