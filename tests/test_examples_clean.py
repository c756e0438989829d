"""rea's own examples pass rea: the saga's actions and compensations are run actions.

The booking example hands lambdas that write module state to `Saga.step(compensate=...)`;
they run as durable runs, so neither REA107 nor any other rule may report them. The
observability example's one deliberate exclusive-handler sleep carries a `# noqa: REA206`.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

EXAMPLES = REPO / "examples"


def test_rea_check_reports_nothing_on_the_examples() -> None:
    proc = subprocess.run([sys.executable, "-m", "rea_lint", "check", str(EXAMPLES)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "REA" not in proc.stdout, proc.stdout


def test_flake8_reports_nothing_on_the_examples() -> None:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "REA", str(EXAMPLES)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "", proc.stdout


def test_the_examples_do_use_the_saga_run_helpers() -> None:
    """The check above means something only while the example still passes lambdas that
    write module state to a saga (what rea used to report as REA107)."""
    source = (EXAMPLES / "booking" / "service.py").read_text(encoding="utf-8")
    assert source.count("compensate=lambda ref: LOG.append(") == 3
