"""Suppression, `disable_error_code`, and `[tool.rea]` read through rea_lint.config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mypy.harness import run_mypy, write_config

HANDLER = '''\
import time
import myclock
from restate import Context
from myctx import Wrapped


async def h(ctx: Context) -> None:
    time.time()
    time.time()  # type: ignore[rea-time-in-handler]
    myclock.tick()


def helper(w: Wrapped) -> None:
    time.monotonic()
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    src = root / "src"
    src.mkdir()
    (src / "handlers.py").write_text(HANDLER)
    (src / "myclock.py").write_text("def tick() -> int:\n    return 0\n")
    (src / "myctx.py").write_text("class Wrapped:\n    pass\n")
    return root


def _codes(result) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return sorted((line, code) for _, line, code in result.findings)


def test_defaults_and_type_ignore(project: Path, cache: str) -> None:
    cfg = write_config(project)
    result = run_mypy(project / "src", config=cfg, cache_dir=cache)
    assert _codes(result) == [(8, "REA101")], result.stdout


def test_disable_error_code(project: Path, cache: str) -> None:
    cfg = write_config(project, mypy='disable_error_code = ["rea-time-in-handler"]')
    assert _codes(run_mypy(project / "src", config=cfg, cache_dir=cache)) == []


def test_tool_rea_selection_extra_calls_and_context_types(project: Path, cache: str) -> None:
    cfg = write_config(
        project,
        rea='extra-calls = { REA101 = ["myclock.tick"] }\ncontext-types = { "myctx.Wrapped" = "ObjectContext" }',
    )
    assert _codes(run_mypy(project / "src", config=cfg, cache_dir=cache)) == [(8, "REA101"), (10, "REA101"), (14, "REA101")]
    cfg = write_config(project, rea='ignore = ["REA101"]')
    assert _codes(run_mypy(project / "src", config=cfg, cache_dir=cache)) == []


def test_unknown_key_is_a_clear_error(project: Path, cache: str) -> None:
    cfg = write_config(project, rea='selekt = ["REA1"]')
    result = run_mypy(project / "src", config=cfg, cache_dir=cache)
    assert result.status == 2
    text = result.stdout + result.stderr
    assert "[tool.rea] selekt: unknown key" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    ("rea", "message"),
    [
        ('select = "REA1"', 'select: expected a list of strings, got the string \'REA1\'; write select = ["REA1"]'),
        ("select = []", "select: an empty list would turn every rule off"),
        ('ignore = ["REA1O1"]', "ignore: 'REA1O1' matches no rule code; did you mean"),
    ],
)
def test_a_broken_config_fails_the_run_with_the_linters_line(project: Path, cache: str, rea: str, message: str) -> None:
    cfg = write_config(project, rea=rea)
    result = run_mypy(project / "src", config=cfg, cache_dir=cache)
    text = result.stdout + result.stderr
    assert result.status == 2 and message in text and str(cfg) in text and "Traceback" not in text, text


def test_a_malformed_pyproject_beside_a_mypy_ini_fails_the_run(tmp_path: Path, cache: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "handlers.py").write_text(HANDLER)
    ini = tmp_path / "mypy.ini"
    ini.write_text("[mypy]\nplugins = mypy_plugin\n")
    (tmp_path / "pyproject.toml").write_text('tool = "x"\n# [tool.rea]\n')
    result = run_mypy(tmp_path / "src", config=ini, cache_dir=cache)
    text = result.stdout + result.stderr
    assert result.status == 2 and "`tool` must be a table" in text and "Traceback" not in text, text
