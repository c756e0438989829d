"""Shared mypy results: each mypy run is seconds, so the cases are checked once per session."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from typing import Iterator

from tests.mypy.harness import MypyResult, run_mypy

CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One mypy cache for the session: typeshed and restate are checked once, not per test.

    Tests of cache behaviour itself (incremental, daemon) use their own directories.
    """
    return str(tmp_path_factory.mktemp("mypy-cache"))


@pytest.fixture(scope="session")
def cases_result(cache: str) -> MypyResult:
    return run_mypy(CASES, cache_dir=cache)


@pytest.fixture(scope="module", autouse=True)
def _free_dead_builds() -> Iterator[None]:
    """Collect the cycles of a test module's mypy runs when it ends.

    An in-process mypy run leaves its whole build (about a million objects) in the collector's
    oldest generation, which a full collection rarely visits: without this, the rest of the
    suite runs beside gigabytes of dead builds (and pytest's exit pays for collecting them)."""
    yield
    gc.collect()
