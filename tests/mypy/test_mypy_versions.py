"""The lowest mypy the plugin supports reports exactly what the installed (newest) one does.

`mypy_plugin.MYPY_MIN` is a promise: it is kept by running the plugin on that mypy, in a
venv of its own that borrows everything else (restate-sdk, pydantic, rea) from this one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import mypy.version

from mypy_plugin import MYPY_MIN
from tests.mypy.harness import MypyResult

REPO = Path(__file__).resolve().parents[2]
LOWEST = "1.10.1"
_PROBE = """
import json, mypy.version
from tests.conftest import FIXTURES
from tests.mypy.conftest import CASES
from tests.mypy.harness import check_directory
out = {"version": mypy.version.__version__}
for name, where in (("cases", CASES), ("fixtures", FIXTURES)):
    missing, unexpected, result = check_directory(where)
    out[name] = {"missing": sorted(missing), "unexpected": sorted(unexpected), "internal": result.internal,
                 "findings": sorted(result.findings)}
print(json.dumps(out))
"""


def test_lowest_supported_mypy_reports_the_same(tmp_path: Path, cases_result: MypyResult) -> None:
    assert LOWEST.startswith(".".join(map(str, MYPY_MIN)) + ".")
    assert mypy.version.__version__ != LOWEST  # the suite itself runs the newest
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"mypy=={LOWEST}"],
                   check=True, timeout=600)
    theirs = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            check=True, capture_output=True, text=True).stdout.strip()
    # After the venv's own site-packages (so its mypy wins): this repo and this venv's packages.
    Path(theirs, "rea_under_test.pth").write_text(f"{REPO}\n{sysconfig.get_paths()['purelib']}\n")
    probe = subprocess.run([str(py), "-c", _PROBE], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert probe.returncode == 0, probe.stderr[-3000:]
    out = json.loads(probe.stdout.strip().splitlines()[-1])
    assert out["version"] == LOWEST
    for name in ("cases", "fixtures"):
        assert out[name]["internal"] == [], out[name]["internal"]
        assert out[name]["missing"] == [] and out[name]["unexpected"] == [], (name, out[name])
    assert {tuple(f) for f in out["cases"]["findings"]} == cases_result.findings
