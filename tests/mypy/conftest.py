"""Shared mypy results: each mypy run is seconds, so the cases are checked once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

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
