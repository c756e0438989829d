"""The linter installs alone: `pip install .` gives flake8 + rea, never restate-sdk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.expectations import expected, expected_dir

BLOCK_RESTATE = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "restate" or name.startswith("restate."):
            raise ImportError(f"blocked for this test: {name}")
sys.meta_path.insert(0, Block())
"""


def test_linter_imports_without_restate() -> None:
    probe = BLOCK_RESTATE + (
        "import ast, pathlib\n"
        "import rea_lint, rea_lint.flake8_plugin\n"
        "from rea_lint.engine import check_tree\n"
        "from rea_lint.rules import all_checkers\n"
        f"src = pathlib.Path({str(FIXTURES / 'rea101_time_in_handler.py')!r}).read_text()\n"
        "print(len(check_tree(ast.parse(src))), len(all_checkers()))\n"
        "assert not any(m == 'restate' or m.startswith('restate.') for m in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    want = sum(expected(FIXTURES / "rea101_time_in_handler.py", FIXTURES).values())
    assert want >= 13 and int(out[0]) == want and int(out[1]) >= 7


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with `pip install <repo>`: what a user or pre-commit gets."""
    root = tmp_path_factory.mktemp("fresh")
    src = root / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "build", "__pycache__", ".*cache*"))
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(src)],
        check=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    return env_dir


def test_fresh_install_has_no_restate_sdk(fresh_venv: Path) -> None:
    py = fresh_venv / "bin" / "python"
    proc = subprocess.run([str(py), "-c", "import rea_lint, importlib.util as u; print(u.find_spec('restate'))"], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "None"


def test_fresh_install_flake8_finds_every_expected_diagnostic(fresh_venv: Path) -> None:
    proc = subprocess.run(
        [str(fresh_venv / "bin" / "flake8"), "--select", "REA", "--format", "%(path)s|%(row)d|%(code)s", "."],
        capture_output=True,
        text=True,
        cwd=FIXTURES,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    got: dict[tuple[str, int, str], int] = {}
    for line in proc.stdout.splitlines():
        path, row, code = line.rsplit("|", 2)
        key = (path.removeprefix("./"), int(row), code)
        got[key] = got.get(key, 0) + 1
    assert got == dict(expected_dir(FIXTURES))


def test_built_wheel_installs_and_runs(tmp_path: Path) -> None:
    """The README's install-today path: `python -m build`, then `pip install dist/*.whl`."""
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "build", "dist", "__pycache__", ".*cache*"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(src)], check=True, timeout=600, capture_output=True, env=env)
    wheels = list((tmp_path / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheels[0])], check=True, timeout=600, env=env)
    sample = tmp_path / "svc.py"
    sample.write_text("import time, restate\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n    return time.time()\n")
    proc = subprocess.run([str(env_dir / "bin" / "rea"), "check", "--no-cache", str(sample)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "REA101" in proc.stdout
    docs_page = subprocess.run([str(env_dir / "bin" / "rea"), "rule", "REA101"], capture_output=True, text=True, timeout=60)
    assert docs_page.returncode == 0 and docs_page.stdout.startswith("# REA101 time-in-handler")
