"""Shared fixtures. Crash tests: one restate-server with short retry intervals and one child process
serving `crash_app`, shared by the crash modules (started only if a test asks for them)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Iterator

import pytest

from rea_runtime import policy
from rea_runtime.testing import RestateServer
from rea_runtime.testing.process import deploy_process


@pytest.fixture(scope="session")
def crash_server() -> Iterator[RestateServer]:
    """Short retry intervals: the restarted process is retried into within a fraction of a second."""
    server = RestateServer(extra_env={
        "RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL": "50ms",
        "RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL": "300ms",
    }).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crash") / "effects.sqlite"


@pytest.fixture(scope="session")
def crash_env(crash_server: RestateServer, db_path: Path) -> Iterator[Any]:
    """`crash_app` in a supervised child process: it may SIGKILL itself; the watchdog restarts it."""
    with deploy_process(crash_server, "tests.runtime.crash_app:app", env={"REA_CRASH_DB": str(db_path)}) as dep:
        yield dep


def effects(db_path: Path, key: str) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as conn:
        return [tuple(r) for r in conn.execute("SELECT kind, step FROM effects WHERE key = ? ORDER BY seq", (key,))]


def work_effects(db_path: Path, key: str) -> list[tuple[str, int]]:
    """(step, pid of the process that did it) of each `work` effect, in order."""
    with sqlite3.connect(db_path) as conn:
        return [tuple(r) for r in conn.execute("SELECT step, pid FROM effects WHERE key = ? AND kind = 'work' ORDER BY seq", (key,))]


def kills(db_path: Path, key: str) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return [r[0] for r in conn.execute("SELECT point FROM kills WHERE key = ? ORDER BY rowid", (key,))]


@pytest.fixture
def clean_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No REA_POLICY, no CI, no pyproject.toml around and no code-level policy: each test
    sets the policy it is about."""
    monkeypatch.delenv("REA_POLICY", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.chdir(tmp_path)
    policy.reset()
    yield tmp_path
    policy.reset()
