"""rea's own code passes mypy: a tool that asks its users for typed handlers keeps its types true.

Every `# type: ignore` names its error codes, and none is left once its error is gone
(`--warn-unused-ignores`), so an ignore cannot hide a new error of another kind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rea_lint", "rea_runtime", "mypy_plugin")


def test_rea_type_checks_clean(tmp_path: Path) -> None:
    (tmp_path / "none.ini").write_text("[mypy]\n")  # mypy's defaults, whatever the user's config says
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--warn-unused-ignores", "--cache-dir", str(tmp_path / "cache"),
         "--config-file", str(tmp_path / "none.ini"), *PACKAGES],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checked = int(proc.stdout.rsplit(" in ", 1)[1].split()[0])
    assert checked == sum(1 for p in PACKAGES for _ in (ROOT / p).rglob("*.py")), proc.stdout
