"""The scale section: `rea check` on generated projects of growing size, and how its cost grows.

Each size is a fresh corpus (`corpus.generate(..., chains=True)`): the same kind of modules as
corpus (a), made into packages, each with one helper of a cross-module call chain (60% of the
helpers call an earlier module's helper, 30% of the modules have handler code calling theirs),
so the project-wide transitive analysis joins and walks a call graph that grows with the
project. Per size and round, alternating: `ast.parse` of every file in a fresh interpreter (the
physical floor of an ast-based tool), `rea check --jobs 1 --no-cache` (cold) and `rea check
--jobs 1` on a primed cache (warm), each timed with wait4 (CPU of the process tree, peak RSS).

Growth is judged on CPU time and peak RSS per file: the figure at the largest size over the
smallest size's figure scaled linearly (through zero, so fixed start-up costs only help the
ratio), target <= 1.15. The marginal cost (the extra CPU per extra file between consecutive
sizes) is reported too: it shows superlinear work without the start-up cost diluting it.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import corpus
from benchmarks.linter import Run, _check, _env, flake8_argv, rea_cli, ruff_cli, run_process

__all__ = ["bench_scale", "PARSE_ONLY", "ScalePoint"]

PARSE_ONLY = (
    "import ast, sys\n"
    "from pathlib import Path\n"
    "for p in sorted(Path(sys.argv[1]).rglob('*.py')):\n"
    "    ast.parse(p.read_bytes(), str(p))\n"
)
"""The floor: read and parse every file of the tree, nothing else (same interpreter, one process)."""

GROWTH_GOAL = 1.15


@dataclass
class ScalePoint:
    files: int
    lines: int
    parse: list[Run] = field(default_factory=list)
    cold: list[Run] = field(default_factory=list)
    warm: list[Run] = field(default_factory=list)
    findings: int = 0
    references: dict[str, Run] = field(default_factory=dict)
    """flake8 without / with rea and ruff, once per size: the reference lines of the plot."""

    @staticmethod
    def _med(runs: list[Run], attr: str) -> float:
        from benchmarks.report import median

        return median([getattr(r, attr) for r in runs])

    def cpu(self, kind: str) -> float:
        return self._med(getattr(self, kind), "cpu")

    def wall(self, kind: str) -> float:
        return self._med(getattr(self, kind), "wall")

    def rss(self, kind: str) -> float:
        return max((r.maxrss_mb for r in getattr(self, kind)), default=float("nan"))

    def parse_ratios(self) -> list[float]:
        return [c.cpu / p.cpu for p, c in zip(self.parse, self.cold)]


def measure(sizes: list[int], rounds: int, out_dir: Path, seed: int, references: int | None = None) -> dict[int, ScalePoint]:
    """``references``: run flake8 (without and with rea) only up to this many modules (None: at
    every size); ruff, which takes seconds, runs at every size."""
    rea = rea_cli()
    if rea is None:
        raise RuntimeError("the `rea` CLI is not installed in this environment")
    env = _env()
    out_dir = out_dir.resolve()  # the commands run inside each corpus: a relative cache dir would land there
    points: dict[int, ScalePoint] = {}
    for n in sizes:
        t0 = time.perf_counter()
        root = out_dir / f"scale_{n}"
        c = corpus.generate(root, n, seed, chains=True)
        pt = points[n] = ScalePoint(len(c.files), c.lines)
        cache = out_dir / f"rea-cache-scale-{n}"
        if cache.exists():
            shutil.rmtree(cache)
        cold = [*rea, "check", "--no-cache", "--jobs", "1", "."]
        warm = [*rea, "check", "--cache-dir", str(cache), "--jobs", "1", "."]
        _check(run_process(warm, root, env), f"rea check, priming the cache ({n} files)")
        for _ in range(rounds):
            pt.parse.append(_check(run_process([sys.executable, "-c", PARSE_ONLY, "."], root, env), "ast.parse only"))
            pt.cold.append(_check(run_process(cold, root, env), f"rea check cold ({n} files)"))
            pt.warm.append(_check(run_process(warm, root, env), f"rea check warm ({n} files)"))
            print(f"  scale {n}: parse {pt.parse[-1].cpu:.1f}s, cold {pt.cold[-1].cpu:.1f}s "
                  f"({pt.cold[-1].maxrss_mb:.0f} MB), warm {pt.warm[-1].cpu:.1f}s CPU", file=sys.stderr, flush=True)
        refs = {}
        if references is None or n <= references:
            refs = {"flake8, without rea": flake8_argv(True, ["."]), "flake8, with rea": flake8_argv(False, ["."])}
        ruff = ruff_cli()
        if ruff:
            refs["ruff"] = [*ruff, "check", "--no-cache", "--isolated", "--exit-zero", "."]
        for label, argv in refs.items():
            pt.references[label] = _check(run_process(argv, root, env), f"{label} ({n} files)")
            print(f"  scale {n}: {label} {pt.references[label].cpu:.1f}s CPU", file=sys.stderr, flush=True)
        pt.findings = pt.cold[-1].count("REA")
        if pt.findings != pt.warm[-1].count("REA"):
            raise RuntimeError(f"rea check finds {pt.findings} cold but {pt.warm[-1].count('REA')} warm on {n} files")
        print(f"  scale {n}: {rounds} round(s) in {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    return points


def growth(points: dict[int, ScalePoint], value) -> float:  # type: ignore[no-untyped-def]
    """value(largest) / (value(smallest) * largest/smallest): 1.0 is linear."""
    lo, hi = min(points), max(points)
    return (value(points[hi]) / points[hi].files) / (value(points[lo]) / points[lo].files)


def bench_scale(sizes: list[int], rounds: int, out_dir: Path, seed: int = corpus.DEFAULT_SEED, profile_top: int = 25,
                references: int | None = None):
    from benchmarks.report import Section, Target, fmt, median

    sec = Section("Scale")
    sec.columns = ["modules", "lines", "ast.parse CPU s", "cold CPU s", "cold wall s", "cold files/s (CPU)",
                   "cold peak RSS MB", "warm CPU s", "warm files/s (CPU)", "warm peak RSS MB", "cold / parse CPU",
                   "findings (REA)"]
    points = measure(sorted(set(sizes)), rounds, out_dir, seed, references)
    sec.data = {"points": {n: {"files": p.files, "parse_cpu": p.cpu("parse"), "cold_cpu": p.cpu("cold"),
                               "warm_cpu": p.cpu("warm"), "cold_rss": p.rss("cold"), "warm_rss": p.rss("warm"),
                               **{f"{k} cpu": r.cpu for k, r in p.references.items()}}
                           for n, p in points.items()}}
    for n, p in sorted(points.items()):
        sec.rows.append([
            f"{n:,}", f"{p.lines:,}", fmt(p.cpu("parse"), 3), fmt(p.cpu("cold"), 3), fmt(p.wall("cold"), 3),
            fmt(p.files / p.cpu("cold"), 1), fmt(p.rss("cold"), 0), fmt(p.cpu("warm"), 3),
            fmt(p.files / p.cpu("warm"), 1), fmt(p.rss("warm"), 0), fmt(median(p.parse_ratios()), 3), str(p.findings),
        ])
    lo, hi = min(points), max(points)
    big = points[hi]
    ratios = big.parse_ratios()
    t_parse = Target(
        f"rea check --jobs 1 cold CPU / ast.parse CPU, {hi:,} generated modules", 1.5, "<=", "x", median(ratios),
        how=f"both in a fresh interpreter over the same files, alternating, median of {len(ratios)} round(s) "
            f"(per round: {', '.join(fmt(r, 3) for r in ratios)}).")
    sec.targets.append(t_parse)
    if len(points) < 2:
        sec.notes.append(f"only one size ({lo:,}): no growth to fit; pass two or more sizes to --scale.")
    else:
        for label, kind, attr in (("cold CPU", "cold", "cpu"), ("cold peak RSS", "cold", "rss"),
                                  ("warm CPU", "warm", "cpu"), ("warm peak RSS", "warm", "rss")):
            g = growth(points, lambda p, k=kind, a=attr: getattr(p, a)(k))
            t = Target(f"growth of rea check {label}, {hi:,} vs {lo:,} modules", GROWTH_GOAL, "<=", "x", g,
                       how=f"per-file {label} at {hi:,} modules over per-file {label} at {lo:,} (1.0 = linear).")
            sec.targets.append(t)
        sizes_sorted = sorted(points)
        slopes = []
        for a, b in zip(sizes_sorted, sizes_sorted[1:]):
            pa, pb = points[a], points[b]
            slope = (pb.cpu("cold") - pa.cpu("cold")) / (pb.files - pa.files)
            slopes.append(f"{a:,}->{b:,}: {slope * 1e3:.2f} ms")
        sec.notes.append("marginal cold CPU per extra module (superlinear work shows as a growing figure): "
                         + "; ".join(slopes) + f"; average per module at {lo:,}: "
                         + f"{points[lo].cpu('cold') / points[lo].files * 1e3:.2f} ms.")
    sec.notes.append(
        f"corpus: generated modules made packages, each with one cross-module chain helper "
        f"({corpus.LINK_RATE:.0%} call an earlier module's helper, {corpus.RELAY_RATE:.0%} of modules have handler code "
        f"calling theirs, {corpus.EFFECT_RATE:.0%} end in `time.time()`); the findings include the transitive REA101 "
        "findings these chains produce, which corpus (a)'s manifest does not list.")
    sec.notes.append("CPU is user + system time of the process tree (wait4); peak RSS is ru_maxrss of `rea check` "
                     "itself, its interpreter included. files/s are files per CPU-second, so a loaded machine "
                     "does not change them much and multi-process tools (flake8, ruff) are compared per core.")
    if any(p.references for p in points.values()):
        sec.notes.append("references, once per size, files per CPU-second: " + "; ".join(
            f"{n:,}: " + ", ".join(f"{k} {p.files / r.cpu:,.0f}" for k, r in p.references.items())
            for n, p in sorted(points.items())))
    for t in sec.targets:
        if t.status == "MISSED":
            t.reason = f"cProfile of `rea check --jobs 1 --no-cache` in-process on the {hi:,}-module corpus:"
            t.profile = _profile(out_dir / f"scale_{hi}", profile_top)
            break
    for t in sec.targets:
        if t.status == "MISSED" and not t.profile:
            t.reason = "same profile as the first missed target of this section, above."
    return sec


def _profile(root: Path, top: int) -> str:
    import contextlib
    import io
    import os

    from benchmarks.profiles import profile_call

    def run() -> None:
        from rea_lint.cli import main

        here = os.getcwd()
        os.chdir(root)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                main(["check", "--no-cache", "--jobs", "1", "."])
        finally:
            os.chdir(here)

    return profile_call(run, top=top, sort="tottime")
