"""Instructions executed, counted by valgrind's cachegrind: a second figure for a noisy ratio.

On a shared machine one round of a CPU-time ratio moves by 20% or more (the mypy cold rounds
ran from 0.93 to 1.28 in one run), so the median of a few rounds can land on either side of a
10% target. The number of instructions a process executes does not depend on the machine's
load: counted once per side, its ratio says which side of the target the work is. It is not
the same unit as CPU time (a cache miss costs time, not instructions), so it is shown next to
a missed target, never used to judge one. Without valgrind (a Debian package, not a Python
one) there is no such figure, and the benchmark says so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

__all__ = ["available", "count", "counts", "COUNTED", "NOT_TIME", "UNAVAILABLE"]

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")
UNAVAILABLE = "valgrind is not installed (Debian: `apt install valgrind`), so no instruction count was made"
COUNTED = "Counted instead of timed (valgrind's cachegrind: a count the machine's load does not change)"
"""How a reason that quotes a count starts."""
NOT_TIME = "instructions are not CPU time: a mispredicted branch or a cache miss costs time, not instructions"
"""Why a count within a goal does not meet a goal judged on CPU time."""


def available() -> bool:
    return shutil.which("valgrind") is not None


def count(argv: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 1800) -> int:
    """Instructions the process ``argv`` executes in user space (its children not followed).

    Hash randomization is off (``PYTHONHASHSEED=0``): the order of a set of strings, and with it
    a little of the work, would otherwise change from run to run."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "valgrind.log"
        proc = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={Path(tmp) / 'out'}",
             f"--log-file={log}", *argv],
            cwd=cwd, env={**env, "PYTHONHASHSEED": "0"}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout)
        text = log.read_text(errors="replace") if log.exists() else ""
    found = _REFS.search(text)
    if found is None:
        raise RuntimeError(f"cachegrind gave no instruction count (exit {proc.returncode}): "
                           f"{(text or proc.stderr)[-500:]}")
    return int(found.group(1).replace(",", ""))


def counts(argvs: Sequence[Sequence[str]], cwd: Path, env: dict[str, str]) -> list[int] | str:
    """The counts of these commands, two at a time (cachegrind slows a process several times,
    and one process uses one core), or, in one sentence, why there are none: a benchmark
    states a missing figure, it does not stop for it."""
    if not available():
        return f"(A count of instructions would say more: {UNAVAILABLE}.)"
    try:
        return _all(argvs, cwd, env)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
        return f"(The count of instructions failed: {str(err)[-300:]}.)"


def _all(argvs: Sequence[Sequence[str]], cwd: Path, env: dict[str, str]) -> list[int]:
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda argv: count(argv, cwd, env), argvs))
