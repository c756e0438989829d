"""Shared test helpers: where the repo and its fixtures are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
