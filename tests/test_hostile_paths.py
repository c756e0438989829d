"""Hostile paths and file types: `rea check` never hangs, never reads without bound, never
aborts the run, and names every file it skips in one line (issue 17, "Discovery")."""

from __future__ import annotations

import fnmatch
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rea_lint.config import ConfigError, ReaConfig, parse_table

BAD = textwrap.dedent(
    """\
    import time
    import restate

    svc = restate.Service("s")


    @svc.handler()
    async def h(ctx: restate.Context) -> float:
        return time.time()
    """
)
FINDING = "a.py:9:12: REA101"

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and symlinks as POSIX has them")


def _limit_memory() -> None:  # a regression must fail the test, not take the machine down
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def rea(cwd: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`rea check` in a child (bounded in time and memory: what is tested here is hanging)."""
    return subprocess.run(
        [sys.executable, "-m", "rea_lint", "check", "--no-cache", "-j", "1", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n", encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.py").write_text(BAD, encoding="utf-8")
    return tmp_path


def _findings(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split(" time-in-handler")[0] for line in _lines(proc, FINDING)]


def _lines(proc: subprocess.CompletedProcess[str], needle: str) -> list[str]:
    return [line for line in proc.stdout.splitlines() if needle in line]


@posix_only
def test_a_symlink_loop_in_a_walked_directory_is_walked_once(project: Path) -> None:
    (project / "d" / "sub").symlink_to(".")  # `ln -s . d/sub`
    (project / "d" / "self").symlink_to("self")  # a link to itself: ELOOP on every stat
    proc = rea(project, "d")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert _findings(proc) == [f"d/{FINDING}"], proc.stdout  # once, not once per sub/sub/...


@posix_only
def test_a_fifo_named_py_in_a_walk_is_named_and_skipped(project: Path) -> None:
    os.mkfifo(project / "d" / "pipe.py")
    proc = rea(project, "d", timeout=30)  # main: hangs in open() forever
    assert proc.returncode == 1
    assert _lines(proc, "pipe.py") == ["d/pipe.py:1:1: error: skipped: a FIFO (named pipe), not a regular file"]
    assert _findings(proc) == [f"d/{FINDING}"]
    assert "1 file could not be checked" in proc.stdout


@posix_only
def test_a_py_symlink_to_dev_zero_is_not_read(project: Path) -> None:
    (project / "d" / "zero.py").symlink_to("/dev/zero")
    proc = rea(project, "d")  # main: reads until memory runs out (here: the 2 GB rlimit)
    assert _lines(proc, "zero.py") == ["d/zero.py:1:1: error: skipped: a character device, not a regular file"]
    assert _findings(proc) == [f"d/{FINDING}"] and proc.returncode == 1


@posix_only
def test_named_paths_that_are_not_regular_files_do_not_stop_the_run(project: Path) -> None:
    """Named on the command line (as pre-commit or a shell glob does): each is one line, the
    rest is checked, and the exit code is 1, as for any file that could not be checked."""
    os.mkfifo(project / "pipe.py")
    (project / "loop.py").symlink_to("loop.py")
    proc = rea(project, "pipe.py", "/dev/null", "loop.py", "d/a.py", timeout=30)
    assert proc.returncode == 1, proc.stderr  # main: exit 2 "no such file or directory", nothing checked
    assert _findings(proc) == [f"d/{FINDING}"]
    assert _lines(proc, "pipe.py") == ["pipe.py:1:1: error: skipped: a FIFO (named pipe), not a regular file"]
    assert _lines(proc, "/dev/null") == ["/dev/null:1:1: error: skipped: a character device, not a regular file"]
    assert _lines(proc, "loop.py") == ["loop.py:1:1: error: cannot read: Too many levels of symbolic links"]
    assert "Traceback" not in proc.stderr


def test_a_missing_path_is_still_a_usage_error(project: Path) -> None:
    proc = rea(project, "nope.py", "d")
    assert proc.returncode == 2 and proc.stderr.strip() == "rea: error: nope.py: no such file or directory"


# --- max-file-size -------------------------------------------------------------------------------


def test_files_over_max_file_size_are_named_and_skipped(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.rea]\nmax-file-size = "1 KiB"\n', encoding="utf-8")
    (project / "d" / "big.py").write_text("import restate\n" + "x = 1\n" * 400, encoding="utf-8")
    proc = rea(project, "d")
    assert _lines(proc, "big.py") == [
        "d/big.py:1:1: error: skipped: the file is 2.4 KiB, over the max-file-size of 1 KiB; "
        "raise `max-file-size` in [tool.rea] to check it"
    ]
    assert _findings(proc) == [f"d/{FINDING}"] and proc.returncode == 1


@pytest.mark.parametrize(
    ("value", "size"),
    [("1024", 1024), ('"1 KiB"', 1024), ('"2MB"', 2_000_000), ('"1.5 mib"', 1_572_864), ('"10"', 10)],
)
def test_max_file_size_values(value: str, size: int) -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    assert parse_table(tomllib.loads(f"max-file-size = {value}")).max_file_size == size


@pytest.mark.parametrize("value", [0, -5, True, 1.5, "big", "5 TB", [1], ""])
def test_bad_max_file_size_names_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^pyproject.toml: \[tool.rea\] max-file-size: expected a positive number of bytes"):
        parse_table({"max-file-size": value})


def test_the_read_stops_at_the_limit(tmp_path: Path) -> None:
    from rea_lint.reading import UnreadableFile, read_regular

    path = tmp_path / "f.py"
    path.write_bytes(b"x" * 100)
    assert read_regular(path, 100) == b"x" * 100
    with pytest.raises(UnreadableFile, match="the file is 100 bytes, over the max-file-size of 99 bytes"):
        read_regular(path, 99)


def test_the_read_returns_every_byte_of_small_empty_and_multi_chunk_files(tmp_path: Path) -> None:
    """One read for a file that did not grow; the loop for files with no size in stat (/proc)
    and files larger than one chunk."""
    from rea_lint.reading import _CHUNK, read_regular

    path = tmp_path / "f.py"
    path.write_bytes(b"")
    assert read_regular(path) == b""
    data = bytes(range(256)) * (_CHUNK // 256 * 2 + 3)  # more than two chunks
    path.write_bytes(data)
    assert read_regular(path) == data
    assert read_regular(path, len(data)) == data
    status = Path("/proc/self/status")
    if status.exists():  # (Linux) stat says 0 bytes; the content is still read to its end
        assert os.stat(status).st_size == 0
        assert read_regular(status).startswith(b"Name:")


# --- exclude globs ----------------------------------------------------------------------------


def test_many_exclude_globs_are_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """main matched each path against each glob with `fnmatch`, whose pattern cache (32k)
    thrashes beyond 16k globs: 100,000 globs took 31 s on 2 files. Now each glob is
    translated once per configuration, however many paths are asked about."""
    globs = tuple(f"gen_{i}/*.py" for i in range(20_000)) + tuple(f"literal_{i}.py" for i in range(20_000))
    calls = {"n": 0}
    translate = fnmatch.translate

    def counting(pattern: str) -> str:
        calls["n"] += 1
        return translate(pattern)

    monkeypatch.setattr(fnmatch, "translate", counting)
    fnmatch._compile_pattern.cache_clear()  # type: ignore[attr-defined]
    config = ReaConfig(exclude=globs)
    paths = ["src/app.py", "src/gen_19999/x.py", "literal_7.py", "a/b/literal_5.py", "a/gen_3/b.py", "gen_1/x.pyc"]
    answers = [config.is_excluded(p) for p in paths * 5]
    assert answers == [False, True, True, True, True, False] * 5
    assert calls["n"] <= 20_000, calls  # main: 2 per glob per path (240,000 here)


PATTERNS = ["*.py", "gen/*", "gen", "a/b.py", "b.py", "**/x.py", "x?.py", "[ab].py", "[!a]b.py", "*/c/*", "a/*/c.py", "c/"]
PATHS = ["a.py", "gen/x.py", "gen", "src/gen", "src/gen/x.py", "a/b.py", "z/a/b.py", "xb.py", "x.py", "d/x.py", "bb.py", "ab.py", "q/c/r.py", "a/q/c.py", "c", "c/"]


def test_the_compiled_matcher_agrees_with_fnmatch() -> None:
    from rea_lint.config import ExcludeMatcher

    checked = 0
    for pattern in PATTERNS:
        matcher = ExcludeMatcher([pattern])
        for path in PATHS:
            expected = fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, f"*/{pattern}")
            assert matcher.matches(path) is expected, (pattern, path)
            checked += 1
    assert checked == len(PATTERNS) * len(PATHS) == 192


# --- memory on huge modules (the figures: benchmarks/memory.py, docs/reliability.md) ------------


def test_a_big_module_hands_the_parsers_scratch_memory_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The peak of `rea check` on a huge module was the parser's peak plus the whole model
    (the freed parser arena stayed in the heap): after parsing a big file, free heap memory
    goes back to the OS before the model is built; small files skip the (cheap) call."""
    from rea_lint import runner
    from rea_lint.memory import TRIM_ABOVE, release_free_memory

    import platform

    if platform.libc_ver()[0] == "glibc":
        assert release_free_memory() is True
    assert TRIM_ABOVE == 1 << 20
    calls: list[int] = []
    monkeypatch.setattr(runner, "release_free_memory", lambda: calls.append(1) or True)
    monkeypatch.setattr(runner, "TRIM_ABOVE", 4000)  # (a 1 MB module takes long to check)
    handler = "@svc.handler()\nasync def h{i}(ctx: restate.Context) -> float:\n    return time.time()\n\n"
    big = tmp_path / "big.py"
    big.write_text(BAD + "".join(handler.format(i=i) for i in range(50)), encoding="utf-8")
    small = tmp_path / "small.py"
    small.write_text(BAD, encoding="utf-8")
    options = runner.Options(cache_dir=None)
    assert len(runner.check_file(small, ReaConfig(), options).diagnostics) == 1 and calls == []
    result = runner.check_file(big, ReaConfig(), options)
    assert len(result.diagnostics) == 51 and calls == [1]
