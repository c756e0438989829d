"""The runtime section: guarded vs raw handlers on a real restate-server, and guard micro-costs."""

from __future__ import annotations

import importlib.util

from benchmarks.report import Section, Target

__all__ = ["bench_runtime"]


def bench_runtime(seconds: float, rounds: int, smoke: bool = False) -> Section:
    sec = Section("Runtime guards")
    if importlib.util.find_spec("rea_runtime.guards") is None:
        sec.available = False
        sec.unavailable_reason = "the runtime guards and test harness (branch runtime) are not on main yet"
        for name, goal, op, unit in (
            ("guarded / raw handler throughput on restate-server", 0.97, ">=", "x"),
            ("guard overhead per context call", 2.0, "<=", "µs"),
            ("guard overhead per guarded stdlib call outside handlers", 200, "<=", "ns"),
        ):
            sec.targets.append(Target(name, goal, op, unit, None, reason=sec.unavailable_reason))
        return sec
    raise NotImplementedError
