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
