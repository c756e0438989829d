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


def _null_is_syntax() -> bool:
    """A null byte is a SyntaxError for the parser (3.11's later releases on), not a ValueError."""
    try:
        ast.parse("\x00")
    except SyntaxError:
        return True
    except ValueError:
        return False
    return True


_NULL_IS_SYNTAX = _null_is_syntax()


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
        pytest.param("nul.py", b"import restate\x00\n", "E999", marks=pytest.mark.skipif(
            not _NULL_IS_SYNTAX, reason="flake8 itself fails on this Python: its ast.parse raises ValueError for a null byte")),
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


def _chain(leaf: str, count: int, op: ast.operator, line: int, col: int) -> ast.expr:
    """`leaf <op> leaf <op> ...` on one line, nested as the parser nests it (to the left), built
    node by node: since 3.12 the parser refuses expressions this deep whatever the recursion limit
    (its C stack guard), while other tools (code generators, `ast` transforms) still make them."""
    width = len(leaf) + 3  # `leaf + `
    node: ast.expr | None = None
    for i in range(count):
        part = ast.parse(leaf, mode="eval").body
        for sub in ast.walk(part):
            if isinstance(sub, (ast.expr, ast.expr_context)) and hasattr(sub, "lineno"):
                sub.lineno = sub.end_lineno = line
                sub.col_offset += col + i * width
                sub.end_col_offset += col + i * width  # type: ignore[operator]
        node = part if node is None else ast.BinOp(node, op, part, lineno=line, col_offset=col,
                                                   end_lineno=line, end_col_offset=col + i * width + len(leaf))
    assert node is not None
    return node


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def test_trees_deeper_than_the_recursion_limit() -> None:
    """flake8 cannot build trees this deep (CPython's own limit); rea's engine still copes."""
    chain = ast.parse(HEAD + "@svc.handler()\nasync def h(ctx):\n    return 0\n")
    chain.body[-1].body[0].value = _chain("time.time()", 3000, ast.Add(), 5, 11)  # type: ignore[attr-defined]
    union = ast.parse(HEAD + "def h(ctx: restate.Context):\n    return time.time()\n")
    union.body[-1].args.args[0].annotation = _chain("restate.Context", 3000, ast.BitOr(), 3, 11)  # type: ignore[attr-defined]
    key = ast.parse(HEAD + "@svc.handler()\nasync def h(ctx):\n    await ctx.service_call(f, 1, idempotency_key="
                    + "str(" * 190 + "ctx.uuid()" + ")" * 190 + ")\n")
    for tree in (chain, union):  # three times Python's default recursion limit (1,000)
        assert _depth(tree) > 3000
    found = check_tree(chain)
    assert len(found) == 3000 and len({(f.line, f.col) for f in found}) == 3000
    assert all(f.code == "REA101" for f in found)
    assert [f.code for f in check_tree(union)] == ["REA101"]
    assert [f.code for f in check_tree(key)] == []  # too deep to classify: business data, not a crash


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
