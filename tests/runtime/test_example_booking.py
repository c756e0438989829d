"""The booking example runs from its one command and shows the compensation."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_booking_example_compensates_a_declined_payment():
    out = subprocess.run([sys.executable, "-m", "examples.booking"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = [line.strip("- ").strip() for line in out.stdout.splitlines()]
    order = ["book flight", "book hotel", "charge card", "refund card (charge never completed: nothing to refund)",
             "cancel hotel hotel-ref", "cancel flight flight-ref"]
    assert [line for line in lines if line in order] == order
    assert "compensated: payment, hotel, flight" in out.stdout and "dead letters: none" in out.stdout
