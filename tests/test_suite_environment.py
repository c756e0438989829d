"""The suite runs the same under a CI service as on a laptop (see `conftest.AMBIENT`)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import AMBIENT


def test_ambient_variables_are_gone_before_tests_run() -> None:
    assert [name for name in AMBIENT if name in os.environ] == []


def test_a_process_a_test_starts_does_not_see_them() -> None:
    out = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get('CI'), os.environ.get('REA_POLICY'))"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["None", "None"]
