"""What `rea check` does when the world around it fails: a full disk under stdout, a closed
stdin, a file it may not write, `-o` naming a file it reads, a cache entry edited on disk.
Each is one line that names the problem and the fix, and no finding is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.cli import main

BAD = (
    "import time\nimport uuid\nimport restate\n\nsvc = restate.Service('s')\n\n\n"
    "@svc.handler()\nasync def h(ctx: restate.Context) -> str:\n"
    "    return str(uuid.uuid4()) + str(time.time())\n"
)
"""Two findings: REA103 (a safe fix) on line 10, REA101 (an unsafe fix) on the same line."""


def rea(*argv: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rea_lint", *argv], cwd=cwd, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    (tmp_path / "svc.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("argv", [["check", "--no-cache", "svc.py"], ["rules"], ["rule", "--all"], ["rules", "--format", "json"]])
def test_a_full_disk_under_stdout_is_one_line_not_a_traceback(project: Path, argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "rea_lint", *argv], cwd=project, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "rea: error: cannot write the report to standard output: No space left on device; free space there, or write it with -o FILE"
    ]


def test_a_closed_stdin_is_a_usage_error(project: Path) -> None:
    proc = rea("check", "-", cwd=project, stdin=subprocess.DEVNULL, close_fds=True, preexec_fn=lambda: os.close(0))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "standard input is closed" in proc.stderr


@pytest.mark.parametrize("extra", [[], ["--fix"], ["--format", "json"]])
def test_the_report_never_replaces_a_file_it_checks(project: Path, extra: list[str]) -> None:
    before = (project / "svc.py").read_bytes()
    assert main(["check", "--no-cache", *extra, "-o", "svc.py", "svc.py"]) == 2
    assert main(["check", "--no-cache", *extra, "-o", str(project / "svc.py"), "."]) == 2  # (found by the walk, spelled apart)
    assert (project / "svc.py").read_bytes() == before


def test_a_report_file_that_is_not_checked_is_written(project: Path) -> None:
    assert main(["check", "--no-cache", "-o", "report.txt", "svc.py"]) == 1
    assert "REA103" in (project / "report.txt").read_text()


def capped(size: int):
    """A child whose files cannot grow past ``size`` bytes (RLIMIT_FSIZE; Python ignores
    SIGXFSZ, so a write past it fails with EFBIG): a write that fails, even for root."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_fixes_that_cannot_be_written_keep_the_file_and_its_findings(project: Path) -> None:
    before = (project / "svc.py").read_bytes()
    proc = rea("check", "--no-cache", "--fix", "--unsafe-fixes", "--output-format", "concise", "svc.py",
               cwd=project, preexec_fn=capped(len(before) + 2))  # the fixes make it longer
    assert (project / "svc.py").read_bytes() == before  # not cut short where the write failed
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("svc.py:1:1: error: cannot write the fixes: File too large; the findings below are the file's as it stands")
    assert [line.split()[1] for line in lines[1:3]] == ["REA103", "REA101"]
    assert "  1 x REA101 not fixed: the file's error above stopped its fixes." in proc.stdout
    assert "  1 x REA103 not fixed: the file's error above stopped its fixes." in proc.stdout
    assert lines[-1] == "Found 2 errors in 1 file; 1 file could not be fixed."


def test_noqa_that_cannot_be_written_is_a_warning_not_a_traceback(project: Path) -> None:
    before = (project / "svc.py").read_bytes()
    (project / "broken.py").write_text("def f(:\n")
    proc = rea("check", "--no-cache", "--add-noqa", "svc.py", "broken.py", cwd=project, preexec_fn=capped(len(before) + 2))
    assert (project / "svc.py").read_bytes() == before
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "warning: svc.py: cannot write: File too large; no `# noqa` added to its 1 line" in proc.stderr
    assert "broken.py:1:7: error: syntax error" in proc.stderr  # nothing added there either: said, not skipped
    assert proc.stdout == "Added 0 noqa directives.\n"


def test_a_diff_names_the_files_it_could_not_check(project: Path) -> None:
    (project / "broken.py").write_text("def f(:\n")
    proc = rea("check", "--no-cache", "--diff", "svc.py", "broken.py", cwd=project)
    assert proc.returncode == 1
    assert "+++ b/svc.py" in proc.stdout
    assert "broken.py:1:7: error: syntax error" in proc.stderr


def test_a_cache_row_edited_on_disk_is_a_miss(project: Path, capsys) -> None:
    assert main(["check", "-j", "1", "--output-format", "json", "svc.py"]) == 1
    first = json.loads(capsys.readouterr().out)["findings"]
    index = next((project / ".rea_cache").glob("index-*.json"))
    head, *rest = index.read_bytes().split(b"\n", 1)
    data = json.loads(head)
    rows = next(iter(data["files"].values()))[1]["d"]
    assert len(rows) == 2
    damaged = 0
    for edit in (lambda r: r.__setitem__(1, "9"), lambda r: r.__setitem__(4, "ZZZ999"), lambda r: r.pop(), lambda r: r.__setitem__(8, [1])):
        row = list(rows[0])
        edit(row)
        data["files"][next(iter(data["files"]))][1]["d"] = [row, rows[1]]
        index.write_bytes(b"\n".join([json.dumps(data).encode(), *rest]))
        assert main(["check", "-j", "1", "--output-format", "json", "svc.py"]) == 1
        assert json.loads(capsys.readouterr().out)["findings"] == first  # analysed again, as before
        damaged += 1
    assert damaged == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", ""], "argument --select: '' names no rule: give codes or prefixes, comma-separated (REA101,REA2)"),
        (["--select", ",,"], "argument --select: ',,' names no rule"),
        (["--ignore", " "], "argument --ignore: ' ' names no rule"),
        (["--select", "time-in-handler"], "argument --select: 'time-in-handler' is a rule's name; select it by its code, REA101"),
        (["--ignore", "REA"], "rea: error: no rule is on: --select/--ignore (with [tool.rea]) turn every rule off"),
        (["--select", "REA1", "--ignore", "REA1"], "rea: error: no rule is on"),
    ],
)
def test_a_selection_of_no_rule_is_a_usage_error(project: Path, capsys, argv: list[str], message: str) -> None:
    assert main(["check", "--no-cache", *argv, "svc.py"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err


def test_a_selection_that_leaves_one_rule_runs(project: Path, capsys) -> None:
    assert main(["check", "--no-cache", "--output-format", "concise", "--select", "REA1", "--ignore", "REA101", "svc.py"]) == 1
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("svc.py")] == ["REA103"]


@pytest.mark.parametrize("kind", ["a file", "a file's child"])
def test_a_cache_directory_that_cannot_be_made_is_a_warning(project: Path, capsys, kind: str) -> None:
    (project / "blocker").write_text("")
    cache_dir = "blocker" if kind == "a file" else "blocker/cache"
    assert main(["check", "-j", "1", "--cache-dir", cache_dir, "--output-format", "concise", "svc.py"]) == 1
    captured = capsys.readouterr()
    assert "REA103" in captured.out  # the results are all there
    why = "it is not a directory" if kind == "a file" else "Not a directory"
    assert captured.err.splitlines() == [
        f"warning: cannot write the cache in {cache_dir} ({why}): this run's results are not kept for the next; "
        "point --cache-dir (or REA_CACHE_DIR) at a writable directory, or pass --no-cache"
    ]


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        (b"x = 1\ny = '\xff'\n", "2:6", "cannot decode: byte b'\\xff' is not utf-8 (invalid start byte); save the file as UTF-8"),
        (b"\xc8\x01binary", "1:1", "cannot decode: byte b'\\xc8' is not utf-8 (invalid continuation byte)"),
        (b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n", "1:1", "the file starts with a UTF-8 BOM but its coding cookie names another encoding"),
        (b"x = 1\n\ny = 2 \x00\n", "3:7", "syntax error: a NUL character"),
    ],
)
def test_a_file_that_is_not_text_is_named_at_its_first_bad_byte(project: Path, capsys, content: bytes, where: str, message: str) -> None:
    (project / "odd.py").write_bytes(content)
    assert main(["check", "--no-cache", "--output-format", "concise", "odd.py"]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"odd.py:{where}: error: ") and message in line, line


def test_rule_with_a_code_and_all_says_which_to_drop(capsys) -> None:
    assert main(["rule", "--all", "REA101"]) == 2
    assert capsys.readouterr().err == "rea: error: --all shows every rule; drop REA101 (or drop --all for that one rule)\n"
    assert main(["rule"]) == 2
    assert capsys.readouterr().err == "rea: error: name one rule (rea rule REA101) or use --all\n"
