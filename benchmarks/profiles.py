"""cProfile excerpts that say where the time goes, with site-packages paths shortened."""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import sysconfig
from pathlib import Path
from typing import Callable

__all__ = ["profile_call"]

_ROOTS = sorted(
    {str(Path(p)) for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"],
                            str(Path(__file__).resolve().parents[1]))},
    key=len, reverse=True,
)


def profile_call(fn: Callable[[], object], top: int = 25, sort: str = "cumulative", restrict: str | None = None) -> str:
    """Run ``fn`` under cProfile and return the ``top`` lines of its stats sorted by ``sort``.

    ``restrict``: only functions whose ``file:line(name)`` matches this regex (e.g. one package)."""
    prof = cProfile.Profile()
    prof.enable()
    try:
        fn()
    finally:
        prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats(sort)
    if restrict:
        stats.print_stats(restrict, top)
    else:
        stats.print_stats(top)
    text = buf.getvalue()
    for root in _ROOTS:
        text = text.replace(root + "/", "")
    lines = [ln.rstrip() for ln in text.splitlines()]
    # drop pstats' preamble up to the "ncalls" header, keep the totals line
    keep: list[str] = []
    started = False
    for ln in lines:
        if re.search(r"function calls.* in [\d.]+ seconds", ln):
            keep.append(ln.strip())
        if ln.lstrip().startswith("ncalls"):
            started = True
        if started and ln:
            keep.append(ln)
    return "\n".join(keep)
