"""Positions and line endings users see: columns count characters in every front end, and
`--fix` keeps a file's line endings (bare CR and CRLF included)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.cli import main

HEAD = 'import time\nimport restate\n\nsvc = restate.Service("s")\n\n\n@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n'


def _flake8(path: Path) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "REA", "--format", "%(row)d:%(col)d:%(code)s", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout.split()


def _cli(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    main(["check", "--no-cache", "--format", "json", str(path)])
    import json

    report = json.loads(capsys.readouterr().out)
    return [f"{f['line']}:{f['column']}:{f['code']}" for f in report["findings"]]


@pytest.mark.parametrize(
    ("prefix", "column"),
    [
        ("", 12),
        ("s = 'é'; ", 21),  # é: 2 bytes, 1 character
        ("s = 'éé'; ", 22),
        ("s = '🙂'; ", 21),  # 4 bytes, 1 character
        ("s = '日本語'; ", 23),  # 3 bytes each
        ("s = 'é' + '🙂'; t = '日'; ", 36),
    ],
)
def test_flake8_and_the_cli_report_the_same_character_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: str, column: int
) -> None:
    path = tmp_path / "u.py"
    path.write_text(HEAD + f"    {prefix}return time.time()\n", encoding="utf-8")
    expected = [f"9:{column}:REA101"]
    assert _cli(path, capsys) == expected
    assert _flake8(path) == expected  # main: the UTF-8 byte offset (e.g. 22 for 'é')


@pytest.mark.parametrize(
    "newline",
    ["\n", "\r\n", "\r", "mixed"],
    ids=["LF", "CRLF", "bare-CR", "mixed"],
)
def test_fix_keeps_every_line_ending(tmp_path: Path, capsys: pytest.CaptureFixture[str], newline: str) -> None:
    lines = (HEAD + "    return time.time()\n").splitlines()
    endings = ["\r", "\r\n", "\n"] if newline == "mixed" else [newline]
    source = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    path = tmp_path / "svc.py"
    path.write_bytes(source.encode())
    assert main(["check", "--no-cache", "--fix", "--unsafe-fixes", str(path)]) == 0
    capsys.readouterr()
    # main dropped the final "\r" of the bare-CR file
    assert path.read_bytes() == source.replace("time.time()", "await ctx.time()").encode()


@pytest.mark.parametrize(
    "newline",
    ["\n", "\r\n", "\r", "mixed"],
    ids=["LF", "CRLF", "bare-CR", "mixed"],
)
def test_noqa_is_read_and_added_whatever_the_line_endings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], newline: str
) -> None:
    """`--add-noqa` writes on a bare-CR line too (it took `\r` for no line end and refused every
    line), keeping each ending; and a `# noqa` after a continued statement covers it, as flake8
    reads it, whatever the file's line endings."""
    lines = (HEAD + "    t = time.time() \\\n        + 1\n    return time.time() + t\n").splitlines()
    endings = ["\r", "\r\n", "\n"] if newline == "mixed" else [newline]
    source = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    path = tmp_path / "svc.py"
    path.write_bytes(source.encode())
    assert _cli(path, capsys) == ["9:9:REA101", "11:12:REA101"]
    main(["check", "--no-cache", "--add-noqa", str(path)])
    capsys.readouterr()
    written = path.read_bytes().decode()
    assert written == source.replace("+ 1", "+ 1  # noqa: REA101").replace("+ t", "+ t  # noqa: REA101"), repr(written)
    assert _cli(path, capsys) == []
    assert _flake8(path) == []


# Characters `str.splitlines` breaks a line at and the parser does not: a page break (form
# feed) is the common one, in GNU-style code and in the standard library.
STR_ONLY_BREAKS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("brk", STR_ONLY_BREAKS, ids=[f"U+{ord(c):04X}" for c in STR_ONLY_BREAKS])
def test_a_page_break_does_not_move_the_lines_rea_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], brk: str
) -> None:
    """`# noqa` is read from the finding's own line, the full format shows that line, and
    `--add-noqa` writes on it, whatever `str.splitlines` would break at before it."""
    head = HEAD.replace("import restate\n", f"import restate\n{brk}\n" if brk == "\x0c" else f"import restate  # {brk}\n")
    path = tmp_path / "p.py"
    path.write_text(head + "    s = 'é'\n    return time.time()  # noqa: REA101\n", encoding="utf-8")
    assert _cli(path, capsys) == []
    assert _flake8(path) == []

    line = head.count("\n") + 2
    path.write_text(head + "    s = 'é'\n    return time.time()\n", encoding="utf-8")
    assert _cli(path, capsys) == [f"{line}:12:REA101"]
    main(["check", "--no-cache", "--format", "full", "--color", "never", str(path)])
    shown = capsys.readouterr().out
    assert "return time.time()" in shown and "s = 'é'" not in shown, shown

    main(["check", "--no-cache", "--add-noqa", str(path)])
    capsys.readouterr()
    written = path.read_text(encoding="utf-8").split("\n")
    assert written[line - 1] == "    return time.time()  # noqa: REA101", written
    assert _cli(path, capsys) == []


def test_source_lines_number_lines_as_the_parser_does() -> None:
    """`source_lines` against the tree's own line numbers, for every break `str.splitlines`
    knows, each ending kept or not, the text rebuilt whole from the kept ones."""
    import ast

    from rea_lint.source_lines import source_lines

    checked = 0
    for brk in STR_ONLY_BREAKS:
        for newline in ("\n", "\r\n", "\r"):
            for last in ("", newline):
                text = newline.join(["a = 1", f"b = '{brk}'", f"c = 3  # {brk}", "d = 4"]) + last
                names = {node.id: node.lineno for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)}
                lines = source_lines(text)
                assert len(lines) == 4 and all(lines[n - 1].startswith(f"{name} = ") for name, n in names.items()), lines
                assert "".join(source_lines(text, keepends=True)) == text
                assert len(text.splitlines()) > 4  # what `str.splitlines` would have numbered wrong
                checked += 1
    assert checked == len(STR_ONLY_BREAKS) * 3 * 2
    assert source_lines("") == [] and source_lines("x\n", keepends=True) == ["x\n"]


def test_diff_after_a_page_break_applies_as_fix_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--diff` splits lines as the parser does: its hunks name the finding's line and `git
    apply` turns the file into what `--fix` writes (split at the page break, the patch named
    the wrong lines and cut the break's line in two)."""
    monkeypatch.chdir(tmp_path)
    text = HEAD.replace("import time\n", "import random\n") + "    return random.random()\n"
    text = text.replace("import restate\n", "import restate\n\x0c\n")
    (tmp_path / "p.py").write_text(text, encoding="utf-8")
    main(["check", "--no-cache", "--diff", "p.py"])
    patch = capsys.readouterr().out
    line = text.split("\n").index("    return random.random()") + 1
    assert f"@@ -{line - 3},4 +{line - 3},4 @@" in patch, patch
    (tmp_path / "fix.patch").write_text(patch, encoding="utf-8", newline="")
    applied = subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert applied.returncode == 0, applied.stderr
    patched = (tmp_path / "p.py").read_text(encoding="utf-8")
    (tmp_path / "p.py").write_text(text, encoding="utf-8")
    main(["check", "--no-cache", "--fix", "p.py"])
    capsys.readouterr()
    assert patched == (tmp_path / "p.py").read_text(encoding="utf-8") != text
    assert "ctx.random().random()" in patched
