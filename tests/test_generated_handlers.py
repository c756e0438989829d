"""Restate-shaped generated modules: every rule runs, every fix re-parses and converges.

The longer sweep (thousands of programs, plus the stdlib and site-packages) is
`python -m benchmarks.robustness`; its figures are in docs/reliability.md.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.robustness import lint_and_fix
from tests.strategies import restate_modules

CHECKED = {"programs": 0, "findings": 0, "fixes": 0}


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
@given(restate_modules())
def test_generated_handlers_lint_and_fix_cleanly(source: str) -> None:
    findings, fixes = lint_and_fix(source, "<generated>")  # raises on a crash, a broken fix, no fixed point
    CHECKED["programs"] += 1
    CHECKED["findings"] += findings
    CHECKED["fixes"] += fixes


def test_generated_handlers_were_checked() -> None:
    """Runs after the sweep above (file order): it checked programs that had findings and fixes."""
    print(CHECKED)
    assert CHECKED["programs"] >= 30, CHECKED
    assert CHECKED["findings"] >= 30 and CHECKED["fixes"] >= 8, CHECKED
