"""A broken `[tool.rea]` never passes silently in the runtime: strict refuses the import, warn warns once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PROBE = (
    "import warnings\n"
    "warnings.simplefilter('default')\n"
    "import rea_runtime\n"
    "rea_runtime.Service\n"
    "from rea_runtime.policy import current_policy\n"
    "print('policy', current_policy().default)\n"
    "print('policy', current_policy().default)\n"
)


def _run(cwd: Path, policy: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "REA_POLICY")}
    env.update(REA_POLICY=policy, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("content", "message"), [
    ('[tool.rea]\nselect = "REA1"\n', 'write select = ["REA1"]'),
    ('tool = "x"\n# [tool.rea]\n', "`tool` must be a table"),
    ('[tool.rea]\nrunitme = {policy = "warn"}\n', "did you mean 'runtime'?"),
])
def test_strict_refuses_the_import_and_warn_warns_once(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(content)
    strict = _run(tmp_path, "strict")
    assert strict.returncode == 1 and "policy" not in strict.stdout
    last = strict.stderr.strip().splitlines()[-1]
    assert last.startswith("rea_lint.config.ConfigError: " + str(tmp_path / "pyproject.toml")) and message in last
    warn = _run(tmp_path, "warn")
    assert warn.returncode == 0, warn.stderr
    assert warn.stdout.split("\n")[:2] == ["policy warn", "policy warn"]
    assert warn.stderr.count("ConfigWarning") == 1 and message in warn.stderr


def test_a_sound_config_is_silent(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.rea.runtime]\npolicy = "disabled"\n')
    proc = _run(tmp_path, "")
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout.startswith("policy disabled"), proc.stderr
