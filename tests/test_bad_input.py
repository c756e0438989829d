"""Bad input never produces a traceback or a hang: a clear diagnostic, or nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from rea_lint.engine import check_tree

HEAD = "import restate, time\nsvc = restate.Service('s')\n"


def _flake8(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "REA,E999,E902", "-j", "1", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("syntax.py", b"import restate\ndef f(:\n", "E999"),
        ("latin1.py", b"import restate\nx = 'caf\xe9'\n", ""),  # flake8 falls back to latin-1
        ("empty.py", b"", ""),
        ("nul.py", b"import restate\x00\n", "E999"),
        ("only_comment.py", b"# restate\n", ""),
        ("parens.py", (HEAD + "@svc.handler()\nasync def h(ctx):\n    return " + "(" * 150 + "time.time()" + ")" * 150 + "\n").encode(), "REA101"),
    ],
)
def test_flake8_on_bad_files(tmp_path: Path, name: str, content: bytes, expect: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    proc = _flake8(path)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    if expect:
        assert expect in proc.stdout, proc.stdout + proc.stderr
    else:
        assert proc.stdout == "" and proc.returncode == 0


def test_fifty_thousand_lines(tmp_path: Path) -> None:
    body = "".join(
        f"@svc.handler()\nasync def h{i}(ctx: restate.Context):\n    a = ctx.key()\n    return time.time()\n\n"
        for i in range(10_000)
    )
    path = tmp_path / "big.py"
    path.write_text(HEAD + body)
    assert len(path.read_text().splitlines()) >= 50_000
    proc = _flake8(path)
    assert proc.stdout.count("REA101") == 10_000


def test_trees_deeper_than_the_recursion_limit() -> None:
    """flake8 cannot build trees this deep (CPython's own limit); rea's engine still copes."""
    chain = HEAD + "@svc.handler()\nasync def h(ctx):\n    return " + " + ".join(["time.time()"] * 3000) + "\n"
    union = HEAD + "def h(ctx: " + " | ".join(["restate.Context"] * 3000) + "):\n    return time.time()\n"
    key = HEAD + "@svc.handler()\nasync def h(ctx):\n    await ctx.service_call(f, 1, idempotency_key=" + "str(" * 190 + "ctx.uuid()" + ")" * 190 + ")\n"
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(50_000)
    try:
        trees = [ast.parse(src) for src in (chain, union, key)]
    finally:
        sys.setrecursionlimit(limit)
    assert len(check_tree(trees[0])) == 3000
    assert [f.code for f in check_tree(trees[1])] == ["REA101"]
    assert [f.code for f in check_tree(trees[2])] == []  # too deep to classify: business data, not a crash


def _as_handler(program: str) -> str:
    return HEAD + "@svc.handler()\nasync def handler(ctx: restate.Context):\n" + textwrap.indent(program or "pass\n", "    ") + "\n    pass\n"


CHECKED = {"programs": 0, "as_handler": 0}


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar() | hypothesmith.from_node())
def test_generated_programs_never_crash(program: str) -> None:
    wrap = True
    try:
        tree = ast.parse(_as_handler(program))  # as handler code, where the rules look
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = ast.parse(HEAD + program)  # not valid inside a function; lint it at module level
        wrap = False
    for finding in check_tree(tree):
        assert finding.message.startswith(finding.code)
    CHECKED["programs"] += 1
    CHECKED["as_handler"] += wrap


def test_generated_programs_were_checked() -> None:
    """Runs after the sweep above (file order): it really checked programs, many inside a handler."""
    print(CHECKED)
    assert CHECKED["programs"] >= 100, CHECKED
    assert CHECKED["as_handler"] >= 30, CHECKED
