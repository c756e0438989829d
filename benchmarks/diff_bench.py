"""`rea diff` between two commits of this repository's examples (issue 13: under 2 s).

The command runs as a user runs it, in a fresh interpreter (`python -m rea_lint diff`), so the
time includes start-up and reading both revisions from git. The base is the first commit
that has `examples/`, the head is HEAD: the widest span of this repository's history.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks.report import Section, Target, fmt, median

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 2.0


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def bench_diff(rounds: int) -> Section:
    sec = Section("rea diff", columns=["what", "base", "head", "handlers", "median s", "runs"])
    target = Target("rea diff between two commits of examples/, wall time", GOAL_SECONDS, "<=", "s",
                    how="fresh `python -m rea_lint diff --base FIRST --head HEAD examples`, median")
    sec.targets.append(target)
    try:
        commits = _git("log", "--reverse", "--format=%H", "--", "examples").splitlines()
        head = _git("rev-parse", "HEAD")
    except (subprocess.CalledProcessError, FileNotFoundError):
        sec.available = False
        sec.unavailable_reason = target.reason = "not a git checkout: there are no revisions to compare"
        return sec
    if not commits:
        sec.available = False
        sec.unavailable_reason = target.reason = "no commit has examples/ yet"
        return sec
    base = commits[0]
    argv = [sys.executable, "-m", "rea_lint", "diff", "--base", base, "--head", head, "--format", "json", "examples"]
    times: list[float] = []
    handlers = "?"
    for _ in range(max(rounds, 1)):
        t0 = time.perf_counter()
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if done.returncode not in (0, 1):
            sec.available = False
            sec.unavailable_reason = target.reason = f"rea diff failed: {done.stderr.strip()[:200]}"
            return sec
        import json

        handlers = str(json.loads(done.stdout)["summary"]["handlers"])
    target.value = median(times)
    if target.status == "MISSED":  # a missed target carries its reason (benchmarks/report.py)
        import os

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
        target.reason = (f"runs took {', '.join(f'{t:.2f}' for t in times)} s with the machine's load average at {load} "
                         f"({os.cpu_count()} CPUs); an idle run is the figure to judge")
    sec.rows.append(["examples/", base[:10], head[:10], handlers, fmt(target.value, 3), str(len(times))])
    sec.notes.append("Both revisions are read from git's object store (`git ls-tree` + one `git cat-file --batch`); nothing is checked out.")
    return sec
