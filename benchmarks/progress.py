"""Progress of a long benchmark run: what runs now, how long it took so far, how long is left.

The full run takes about half an hour, so it says where it is. `__main__` plans the steps with
an estimate each (seconds on an idle 2-core machine, from per-file costs measured there); every
step prints when it starts, and the time left is the estimate of the remaining steps scaled by
how the finished steps compared with their own estimates (a loaded or faster machine shows
up after the first step).
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Iterator

__all__ = ["plan", "step", "planned", "COST"]

# Seconds per file on an idle 2-core machine (CPython 3.11, the generated corpus), used only to
# estimate the time left: ast.parse, `rea check --jobs 1` cold and warm, flake8 (2 workers,
# wall), ruff, `rea diff` (both sides), writing a generated module.
COST = {"parse": 0.0032, "rea_cold": 0.009, "rea_warm": 0.0008, "flake8": 0.012, "ruff": 0.0003,
        "diff": 0.007, "generate": 0.002}


class _Progress:
    def __init__(self) -> None:
        self.estimates: dict[str, float] = {}
        self.started = time.perf_counter()
        self.done_estimate = 0.0
        self.done_actual = 0.0
        self.quiet = False
        self.total = 0.0

    def left(self, current: str | None = None) -> float:
        speed = self.done_actual / self.done_estimate if self.done_estimate > 1 else 1.0
        speed = min(max(speed, 0.5), 4.0)
        pending = sum(v for k, v in self.estimates.items() if k != current)
        return pending * speed


_P = _Progress()


def plan(estimates: dict[str, float], quiet: bool = False) -> None:
    """Declare the steps of this run (in order) and their estimated seconds."""
    _P.estimates = dict(estimates)
    _P.started = time.perf_counter()
    _P.done_estimate = _P.done_actual = 0.0
    _P.quiet = quiet
    _P.total = sum(estimates.values())
    if not quiet:
        print(f"[plan] {len(estimates)} steps, expected about {_minutes(sum(estimates.values()))} "
              "on an idle 2-core machine", file=sys.stderr, flush=True)


def planned() -> float:
    """The whole run's estimate, as planned (seconds on an idle 2-core machine)."""
    return _P.total


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    """Run one planned step (an unplanned name is fine: it just has no estimate)."""
    est = _P.estimates.get(name, 0.0)
    if not _P.quiet:
        elapsed = time.perf_counter() - _P.started
        print(f"[{_minutes(elapsed)} elapsed, about {_minutes(_P.left())} left] {name} ...",
              file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        yield
    finally:
        _P.estimates.pop(name, None)
        if est:
            _P.done_estimate += est
            _P.done_actual += time.perf_counter() - t0
