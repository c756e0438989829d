"""The mypy plugin section: mypy with vs without rea's plugin on part of corpus (a)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from benchmarks.report import Section, Target

__all__ = ["bench_mypy"]


def bench_mypy(corpus_a, modules: int, out_dir: Path, rounds: int = 2) -> Section:
    sec = Section("mypy plugin")
    if importlib.util.find_spec("mypy_plugin") is None:
        sec.available = False
        sec.unavailable_reason = "the mypy plugin (branch mypy) is not on main yet"
        sec.targets.append(Target("mypy with plugin / without, cold cache", 1.10, "<=", "x", None,
                                  reason=sec.unavailable_reason))
        return sec
    raise NotImplementedError
