"""`from restate import *` is understood: the same findings as naming each import.

On main such a file got no finding at all from the CLI and flake8 (the names it binds were
unknown), while the mypy plugin, which resolves names itself, caught them.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rea_lint.engine import check_tree
from rea_lint.names import ImportMap

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_RESTATE_ALL = (
    "Service VirtualObject Workflow Context ObjectContext ObjectSharedContext WorkflowContext "
    "WorkflowSharedContext TerminalError RunOptions getLogger gather"
).split()


def _as_star(source: str) -> str | None:
    """The fixture with its restate imports turned into one `from restate import *`, each
    `restate.Name` written `Name`; None if it uses restate in another way (submodules)."""
    out = re.sub(r"^import restate\n", "from restate import *\n", source, flags=re.M)
    out = re.sub(r"^from restate import [A-Za-z, ]+\n", "from restate import *\n", out, flags=re.M)
    out = re.sub(r"\brestate\.(" + "|".join(_RESTATE_ALL) + r")\b", r"\1", out)
    if out == source or re.search(r"\brestate\.\w", out) or "from restate import *" not in out:
        return None
    return out


def _findings(source: str) -> list[tuple[int, str]]:
    """(line, code): dropping `restate.` moves columns, never lines."""
    return [(f.line, f.code) for f in check_tree(ast.parse(source))]


def test_fixtures_written_with_a_star_import_give_the_same_findings() -> None:
    compared = findings = 0
    for path in sorted(FIXTURES.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        star = _as_star(source)
        if star is None:
            continue
        expected = _findings(source)
        assert _findings(star) == expected, path.name
        compared += 1
        findings += len(expected)
    assert compared >= 20 and findings >= 100, (compared, findings)


STAR = textwrap.dedent(
    """\
    import time
    from restate import *

    svc = Service("s")


    @svc.handler()
    async def h(ctx: Context) -> float:
        return time.time()
    """
)


def test_flake8_reports_a_star_import_file(tmp_path: Path) -> None:
    (tmp_path / "star.py").write_text(STAR, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "REA", "star.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.startswith("star.py:9:12: REA101 "), proc.stdout + proc.stderr


def test_the_cli_reports_a_star_import_file(tmp_path: Path) -> None:
    (tmp_path / "star.py").write_text(STAR, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "rea_lint", "check", "--no-cache", "star.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1 and proc.stdout.startswith("star.py:9:12: REA101 "), proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("source", "context"),
    [
        ("from restate import *\n", "restate.Context"),
        ("from rea_runtime import *\n", None),  # rea_runtime exports no Context
        ("from restate import *\nfrom myapp import Context\n", "myapp.Context"),  # a later import rebinds
        ("from myapp import Context\nfrom restate import *\n", "restate.Context"),  # and so does a later star
        ("from restate.context import *\n", None),  # a submodule: its names are not known, nothing is guessed
    ],
)
def test_star_imports_bind_like_python(source: str, context: str | None) -> None:
    assert ImportMap.from_tree(ast.parse(source)).names.get("Context") == context


def test_the_star_export_lists_match_the_installed_packages() -> None:
    """rea_lint cannot import restate-sdk; its copy of `__all__` must follow the SDK."""
    import rea_runtime
    import restate

    from rea_lint.star_exports import STAR_EXPORTS

    assert STAR_EXPORTS["restate"] == tuple(restate.__all__)
    assert STAR_EXPORTS["rea_runtime"] == tuple(rea_runtime.__all__)


def test_a_star_import_of_a_stdlib_module_the_rules_name_is_understood(tmp_path: Path) -> None:
    """`from time import *` binds `time`, `sleep`...: the mypy plugin (which reads mypy's
    names) reported them, the linter saw unknown names and called the handler replay-safe."""
    source = textwrap.dedent(
        """\
        from time import *
        from random import *
        from os import *

        import restate

        svc = restate.Service("s")


        @svc.handler()
        async def h(ctx: restate.Context) -> float:
            sleep(1)
            return time() + random() + len(getenv("HOME") or "")
        """
    )
    found = sorted((f.line, f.code) for f in check_tree(ast.parse(source), lines=source.splitlines(True), text=source))
    assert found == [(12, "REA105"), (13, "REA101"), (13, "REA102"), (13, "REA109")]
    shadowed = source.replace("import restate\n", "import restate\n\n\ndef sleep(n):\n    return n\n")
    found = sorted((f.line, f.code) for f in check_tree(ast.parse(shadowed), lines=shadowed.splitlines(True), text=shadowed))
    assert (16, "REA105") not in found and (17, "REA101") in found  # a module's own `sleep` is its own
