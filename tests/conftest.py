"""Shared test helpers: where the repo and its fixtures are, and what a run leaves in cycles."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Callable, TypeVar

import pytest

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"

AMBIENT = ("CI", "REA_POLICY", "REA_CACHE_DIR", "NO_COLOR", "FORCE_COLOR")
"""Variables rea reads that the shell or the CI service may set (`CI=true` makes the runtime
strict by default): the suite starts without them, so it runs the same everywhere, and every
test that is about one sets it itself. Removed before any test starts a server or an app, so
the processes they start do not see them either."""


def pytest_configure(config: pytest.Config) -> None:
    for name in AMBIENT:
        os.environ.pop(name, None)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def cyclic_garbage(work: Callable[[], T]) -> tuple[T, list[str]]:
    """Run ``work`` with the cyclic collector off, as rea analyses, and name the objects that
    only a collection would free afterwards (what reference cycles it left). ``work`` returns a
    summary, not what it built: that is dropped, as a run drops it, before the count."""
    gc.collect()
    was_on = gc.isenabled()
    gc.disable()
    try:
        summary = work()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return summary, [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_on:
            gc.enable()
