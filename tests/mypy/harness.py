"""Run mypy with rea's plugin over a directory and compare with its `# expect:` markers.

A module marks each line that must produce a diagnostic with a trailing comment
`# expect: REA101` (several: `# expect: REA101, REA201`). `check_directory(path)` runs mypy
once over the directory and returns what differs, restricted to the codes the plugin
implements, so it works unchanged on the linter's `fixtures/`.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from mypy import api as mypy_api

from mypy_plugin.codes import IMPLEMENTED

_EXPECT = re.compile(r"#\s*expect:\s*(REA\d{3}(?:\s*,\s*REA\d{3})*)")
_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?:\d+:)? (?P<sev>error|note): (?P<msg>.*?)(?:  \[(?P<code>[\w-]+)\])?$")
INTERNAL_PREFIX = "rea: the mypy plugin hit an internal error"
_CODE = re.compile(r"^(REA\d{3}) ")

Finding = tuple[str, int, str]  # (file name, line, REA code)


@dataclass
class MypyResult:
    findings: set[Finding]
    stdout: str
    stderr: str
    status: int
    internal: list[str] = field(default_factory=list)


def expected(directory: str | os.PathLike[str], codes: Iterable[str] = IMPLEMENTED) -> set[Finding]:
    wanted = set(codes)
    out: set[Finding] = set()
    for path in sorted(Path(directory).rglob("*.py")):
        for lineno, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _EXPECT.search(text)
            if m:
                for code in re.split(r"\s*,\s*", m.group(1)):
                    if code in wanted:
                        out.add((path.relative_to(directory).as_posix(), lineno, code))
    return out


def write_config(where: str | os.PathLike[str], rea: str = "", mypy: str = "") -> Path:
    """A pyproject.toml enabling the plugin (plus optional `[tool.rea]` / `[tool.mypy]` lines)."""
    path = Path(where) / "pyproject.toml"
    if sys.version_info < (3, 11) and "python_version" not in mypy:
        # the fixtures are Python 3.11 code (`asyncio.TaskGroup`, `asyncio.timeout`): checked as
        # such, or mypy finds no such callee in 3.10's stdlib and no plugin could judge the call
        mypy = 'python_version = "3.11"\n' + mypy
    path.write_text(
        '[tool.mypy]\nplugins = ["mypy_plugin"]\n' + mypy + "\n"
        + (f"[tool.rea]\n{rea}\n" if rea else ""),
        encoding="utf-8",
    )
    return path


def run_mypy(directory: str | os.PathLike[str], *, config: str | os.PathLike[str] | None = None,
             cache_dir: str | None = None, extra: Iterable[str] = ()) -> MypyResult:
    """One mypy run over `directory` (in-process, through `mypy.api.run`)."""
    directory = Path(directory).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(config) if config else write_config(tmp)
        args = [
            str(directory),
            "--config-file", str(cfg),
            "--cache-dir", cache_dir or os.path.join(tmp, "cache"),
            "--show-error-codes", "--no-error-summary", "--hide-error-context",
            "--no-pretty", "--show-absolute-path", "--explicit-package-bases", *extra,
        ]
        # The modules import each other as top-level modules, whatever packages lie above.
        old = os.environ.get("MYPYPATH")
        os.environ["MYPYPATH"] = str(directory)
        # mypy tunes the collector for its own process (`gc.set_threshold(200_000, 30, 30)`,
        # and moves what it built to the oldest generation): in-process, that would stay set for
        # every later test, which would then run with ~2 GB of a dead build's cycles uncollected
        thresholds = gc.get_threshold()
        try:
            stdout, stderr, status = mypy_api.run(args)
        finally:
            gc.set_threshold(*thresholds)
            if old is None:
                del os.environ["MYPYPATH"]
            else:
                os.environ["MYPYPATH"] = old
    return parse(stdout, stderr, status, directory)


def parse(stdout: str, stderr: str, status: int, directory: Path) -> MypyResult:
    findings: set[Finding] = set()
    internal: list[str] = []
    for line in stdout.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        if m.group("code") == "rea-internal" or m.group("msg").startswith(INTERNAL_PREFIX):
            internal.append(line)
        code = _CODE.match(m.group("msg"))
        if code and m.group("sev") == "error":
            try:
                rel = Path(m.group("path")).resolve().relative_to(directory).as_posix()
            except ValueError:
                rel = m.group("path")
            findings.add((rel, int(m.group("line")), code.group(1)))
    return MypyResult(findings, stdout, stderr, status, internal)


def check_directory(directory: str | os.PathLike[str], **kwargs: object) -> tuple[set[Finding], set[Finding], MypyResult]:
    """(missing, unexpected, result) for one mypy run over `directory`."""
    result = run_mypy(directory, **kwargs)  # type: ignore[arg-type]
    want = expected(directory)
    got = {f for f in result.findings if f[2] in IMPLEMENTED}
    return want - got, got - want, result
