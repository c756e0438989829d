"""Import roots like Python and pyright: the same cross-module findings from a service's
directory or from the root of a monorepo of many small projects (laid out like
restatedev/examples)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rea_lint.cli import main

HANDLER_HEAD = "import restate\n\nsvc = restate.Service('s')\n\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def make_monorepo(root: Path, n: int) -> dict[str, set[tuple[str, int, str]]]:
    """``n`` projects in four layouts; returns project dir -> the transitive findings expected
    there (path relative to the project, line, code)."""
    expected: dict[str, set[tuple[str, int, str]]] = {}
    for i in range(n):
        kind = i % 4
        name = f"svc-{i}"  # a dash: no project directory is importable from the root
        proj = root / name
        if kind == 0:  # a script importing a sibling module and a namespace package (no __init__.py)
            _write(proj / "utils.py", "import time\n\ndef stamp():\n    return time.time()\n")
            _write(proj / "gpt" / "prompt_utils.py", "import random\n\ndef to_prompt(x):\n    return f'{x}{random.random()}'\n")
            _write(proj / "app.py", HANDLER_HEAD + "from gpt.prompt_utils import to_prompt\nimport utils\n\n@svc.handler()\nasync def h(ctx: restate.Context):\n    a = utils.stamp()\n    return to_prompt(a)\n")
            expected[name] = {("app.py", 10, "REA101"), ("app.py", 11, "REA102")}
        elif kind == 1:  # another `utils` with another effect, and a package with __init__.py
            _write(proj / "utils.py", "import uuid\n\ndef stamp():\n    return uuid.uuid4()\n")
            _write(proj / "shared" / "__init__.py", "from shared.clock import now\n")
            _write(proj / "shared" / "clock.py", "import datetime\n\ndef now():\n    return datetime.datetime.now()\n")
            _write(proj / "app.py", HANDLER_HEAD + "import utils\nfrom shared import now\n\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return utils.stamp(), now()\n")
            expected[name] = {("app.py", 10, "REA103"), ("app.py", 10, "REA101")}
        elif kind == 2:  # a src/ layout with pyproject.toml, relative and absolute imports
            _write(proj / "pyproject.toml", "[project]\nname = 'x'\n")
            _write(proj / "src" / "orders" / "__init__.py", "")
            _write(proj / "src" / "orders" / "helpers.py", "import os\n\ndef region():\n    return os.getenv('REGION')\n")
            _write(proj / "src" / "orders" / "io.py", "def load(p):\n    return open(p).read()\n")
            _write(proj / "src" / "orders" / "handlers.py", HANDLER_HEAD + "from orders.helpers import region\nfrom .io import load\n\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return region(), load('x')\n")
            expected[name] = {("src/orders/handlers.py", 10, "REA109"), ("src/orders/handlers.py", 10, "REA108")}
        else:  # a script two levels down importing from its project's top directory (an ancestor)
            _write(proj / "common" / "__init__.py", "")
            _write(proj / "common" / "sleepy.py", "import time\n\ndef nap():\n    time.sleep(1)\n")
            _write(proj / "services" / "worker" / "main.py", HANDLER_HEAD + "from common.sleepy import nap\n\n@svc.handler()\nasync def h(ctx: restate.Context):\n    nap()\n")
            expected[name] = {("services/worker/main.py", 9, "REA105")}
    return expected


def _transitive(capsys, where: Path, monkeypatch) -> set[tuple[str, int, str]]:
    monkeypatch.chdir(where)
    main(["check", "--no-cache", "-q", "--output-format", "concise", "-j", "1", "."])
    out = capsys.readouterr().out
    found = set()
    for line in out.splitlines():
        if " via " not in line:
            continue
        path, row, _col, rest = line.split(":", 3)
        code = rest.replace("warning:", "").split()[0]
        found.add((path, int(row), code))
    return found


N_PROJECTS = 12


def test_monorepo_root_and_each_service_agree(tmp_path, capsys, monkeypatch):
    expected = make_monorepo(tmp_path, N_PROJECTS)
    from_root = _transitive(capsys, tmp_path, monkeypatch)
    total = 0
    for name, want in expected.items():
        from_service = _transitive(capsys, tmp_path / name, monkeypatch)
        assert from_service == want, name
        assert {(f"{name}/{p}", row, code) for p, row, code in want} <= from_root
        total += len(want)
    assert len(from_root) == total == 21  # 12 projects: 3 x (2 + 2 + 2 + 1)


def test_two_projects_with_a_utils_module_each_get_their_own(tmp_path, capsys, monkeypatch):
    make_monorepo(tmp_path, 2)
    monkeypatch.chdir(tmp_path)
    main(["check", "--no-cache", "-q", "--output-format", "concise", "-j", "1", "."])
    chains = sorted(line.split(": via ")[1].split(":")[0] for line in capsys.readouterr().out.splitlines() if "via utils" in line)
    assert chains == ["utils.stamp() -> time.time()", "utils.stamp() -> uuid.uuid4()"]


@pytest.mark.parametrize("configured", [False, True])
def test_src_names_extra_import_roots(tmp_path, capsys, monkeypatch, configured):
    _write(tmp_path / "lib" / "corelib" / "timing.py", "import time\n\ndef now():\n    return time.time()\n")
    _write(tmp_path / "svc" / "main.py", HANDLER_HEAD + "from corelib.timing import now\n\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return now()\n")
    _write(tmp_path / "pyproject.toml", "[tool.rea]\n" + ('src = ["lib"]\n' if configured else ""))
    found = _transitive(capsys, tmp_path, monkeypatch)
    assert found == ({("svc/main.py", 9, "REA101")} if configured else set())
