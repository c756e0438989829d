"""A `# noqa` means the same to `flake8` in pre-commit and to `rea check` in CI.

flake8 reads a line's `# noqa` from the whole run of lines its tokens share: a statement
continued with a backslash, a string over several lines. `rea check` read the finding's own
line only, so a comment flake8 honoured was ignored in CI. Each case runs both front ends on
the same file and says which way it must go, so agreement on nothing cannot pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.cli import main

HEAD = (
    "import time\nimport restate\n\nsvc = restate.Service(\"s\")\n\n\n"
    "def stamp():\n    return time.time()\n\n\n"
    "@svc.handler()\nasync def h(ctx: restate.Context, x: int) -> float:\n"
)

# (id, handler body, silenced?): the finding is REA101 in every case
CASES = [
    ("own line", "    return time.time()  # noqa: REA101\n", True),
    ("another code", "    return time.time()  # noqa: REA102\n", False),
    ("continued, comment on the last line", "    t = time.time() \\\n        + 1  # noqa: REA101\n    return t\n", True),
    ("continued, the finding on the comment's line", "    t = 1 + \\\n        time.time()  # noqa\n    return t\n", True),
    ("continued, a comment on the next statement", "    t = time.time() + \\\n        1\n    return t  # noqa\n", False),
    ("triple-quoted f-string", '    s = f"""{time.time()}\n    """  # noqa: REA101\n    return 1.0\n', True),
    ("inside brackets, comment on another line", "    t = max(\n        time.time(),\n        1,  # noqa: REA101\n    )\n    return t\n", False),
    ("a statement after a semicolon", "    a = 1; t = time.time()  # noqa: REA101\n    return t\n", True),
    ("an if's header", "    if time.time() > 5:  # noqa: REA101\n        return 1.0\n    return 2.0\n", True),
    ("an if's header, continued", "    if time.time() > \\\n            5:  # noqa: REA101\n        return 1.0\n    return 2.0\n", True),
    ("a one-line if", "    if x: return time.time()  # noqa: REA101\n    return 2.0\n", True),
    ("a comment on the next statement", "    t = time.time()\n    return t  # noqa\n", False),
    ("a call of a helper that reads the clock, continued", "    t = stamp() \\\n        + 1  # noqa: REA101\n    return t\n", True),
    ("a call of a helper that reads the clock", "    t = stamp()\n    return t  # noqa: REA101\n", False),
    # how the comment is spelled: flake8's pattern, quirks included
    ("no space after #", "    return time.time()  #noqa: REA101\n", False),
    ("two spaces after #", "    return time.time()  #  noqa\n", False),
    ("any case of noqa", "    return time.time()  # NoQA: REA101\n", True),
    ("a code in lower case", "    return time.time()  # noqa: rea101\n", False),
    ("a prefix", "    return time.time()  # noqa: REA1\n", True),
    ("a prefix without digits reads as bare", "    return time.time()  # noqa: REA\n", True),
    ("two spaces after the colon read as bare", "    return time.time()  # noqa:  REA102\n", True),
    ("codes, then a reason", "    return time.time()  # noqa: E501, REA101 - the clock is fine here\n", True),
    ("a reason that starts like a code", "    return time.time()  # noqa: E501 re-read later\n", False),
]


def _flake8(path: Path, *flags: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "REA", "--format", "%(row)d:%(code)s", *flags, path.name],
        cwd=path.parent, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return sorted(proc.stdout.split())


def _cli(path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> list[str]:
    main(["check", "--no-cache", "--format", "json", *flags, str(path)])
    return sorted(f"{f['line']}:{f['code']}" for f in json.loads(capsys.readouterr().out)["findings"])


@pytest.mark.parametrize(("body", "silenced"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_flake8_and_rea_check_read_a_noqa_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, silenced: bool
) -> None:
    path = tmp_path / "svc.py"
    path.write_text(HEAD + body, encoding="utf-8")
    ours, theirs = _cli(path, capsys), _flake8(path)
    assert ours == theirs, (ours, theirs)
    assert (not any(f.endswith("REA101") for f in ours)) is silenced, ours


@pytest.mark.parametrize(
    ("where", "exempt"),
    [
        ("# flake8: noqa\n", True),
        ("# FLAKE8=NOQA\n", True),
        ("#  flake8: noqa\n", False),
        ("X = 1  # flake8: noqa\n", False),
        ("", False),
    ],
    ids=["first line", "any case, = for :", "two spaces after #", "after code", "none"],
)
def test_a_flake8_noqa_line_exempts_the_whole_file_in_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, exempt: bool
) -> None:
    """`# flake8: noqa` at the start of a line: flake8 checks nothing in the file (after code it
    only warns), and `rea check` follows, for the findings of the file's own lines and for those
    the project link reports at its call sites (`stamp()` reads the clock)."""
    path = tmp_path / "svc.py"
    path.write_text(where + HEAD + "    t = stamp()\n    return time.time() + t\n", encoding="utf-8")
    ours, theirs = _cli(path, capsys), _flake8(path)
    assert ours == theirs, (ours, theirs)
    assert (ours == []) is exempt, ours
    assert exempt or len(ours) == 2, ours  # the direct and the transitive REA101


def test_disable_noqa_reports_what_every_comment_silences_as_flake8_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rea check --disable-noqa` (ruff's `--ignore-noqa` too) against `flake8 --disable-noqa`,
    on every case above and on a file a `# flake8: noqa` line exempts: both report every
    finding, and the same ones."""
    bodies = [body for _id, body, _silenced in CASES]
    for i, text in enumerate([HEAD + body for body in bodies] + ["# flake8: noqa\n" + HEAD + "    return stamp()  # noqa\n"]):
        path = tmp_path / f"svc{i}.py"
        path.write_text(text, encoding="utf-8")
        theirs = _flake8(path, "--disable-noqa")
        assert any(f.endswith("REA101") for f in theirs), (text, theirs)
        for flag in ("--disable-noqa", "--ignore-noqa"):
            assert _cli(path, capsys, flag) == theirs, (text, flag)
    assert i == len(CASES)


def test_disable_noqa_is_part_of_the_cache_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached run without the flag does not answer a run with it, nor the other way round
    (the direct finding and the one the project link reports at a call site alike)."""
    monkeypatch.chdir(tmp_path)
    Path("svc.py").write_text(HEAD + "    t = stamp()  # noqa\n    return time.time() + t  # noqa: REA101\n", encoding="utf-8")

    def run(*flags: str) -> list[str]:
        main(["check", "--format", "json", *flags, "svc.py"])
        return sorted(f"{f['line']}:{f['code']}" for f in json.loads(capsys.readouterr().out)["findings"])

    assert run() == []
    assert run("--disable-noqa") == ["13:REA101", "14:REA101"]
    assert run() == []
    assert run("--disable-noqa") == ["13:REA101", "14:REA101"]


def test_the_cases_cover_both_outcomes() -> None:
    assert len(CASES) == 23
    assert {silenced for _id, _body, silenced in CASES} == {True, False}


def test_each_line_reads_the_noqa_flake8_reads_on_the_standard_library() -> None:
    """A sweep: every 12th module of the standard library, a distinct `# noqa: E<n>` put at the
    end of every line a comment can end, and for every line the codes `NoqaLines` finds
    against those flake8's own `FileProcessor.noqa_line_for` finds. Lines inside a string over
    several lines or a backslash continuation get no comment of their own: they must read the
    one where their tokens end, as flake8 does."""
    import ast
    import sysconfig

    from flake8.options.parse_args import parse_args
    from flake8.processor import FileProcessor

    from rea_lint.noqa import NoqaLines, _comment_lines, noqa_codes
    from rea_lint.source_lines import source_lines

    _plugins, options = parse_args([])
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)[::12]
    modules = lines = joined = 0
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            ast.parse(source)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        targets = _comment_lines(source)
        if targets is None:
            continue
        safe = set(targets.values())  # (the lines a comment can end)
        written = [
            (text.rstrip("\r\n") + f"  # noqa: E{n}" + text[len(text.rstrip("\r\n")):]) if n in safe else text
            for n, text in enumerate(source_lines(source, keepends=True), 1)
        ]
        source = "".join(written)
        tree = ast.parse(source)
        ours = NoqaLines(source, tree)
        theirs = FileProcessor(str(path), options, lines=source_lines(source, keepends=True))
        modules += 1
        for n in range(1, len(written) + 1):
            text = theirs.noqa_line_for(n)
            expected = noqa_codes(text) if text is not None else None
            assert ours.codes(n) == expected, (path, n, written[n - 1], ours.codes(n), expected)
            lines += 1
            joined += n not in safe and expected is not None
    # (149 modules, 78,227 lines, 13,654 of them joined on Python 3.11; 144, 65,201 and 4,575 on
    # 3.13, whose standard library and tokenizer differ)
    assert modules >= 100, modules
    assert lines >= 40_000, lines
    assert joined >= 3_000, joined  # lines that read another line's comment: the ranges were exercised
