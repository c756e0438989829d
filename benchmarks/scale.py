"""The scale section: `rea check` on generated projects of growing size, and how its cost grows.

Each size is a fresh corpus (`corpus.generate(..., chains=True)`): the same kind of modules as
corpus (a), made into packages, each with one helper of a cross-module call chain (60% of the
helpers call an earlier module's helper, 30% of the modules have handler code calling theirs),
so the project-wide transitive analysis joins and walks a call graph that grows with the
project. Per size and round, alternating: `ast.parse` of every file in a fresh interpreter (the
physical floor of an ast-based tool), `rea check --jobs 1` on an empty cache directory (cold: it
writes the cache) and the same command again (warm), each timed with wait4 (CPU of the process
tree, peak RSS). Then flake8 without and with rea and ruff (the plot's references), and
`rea diff` between the project and a copy with some handlers changed (`diff_bench.diff_at_scale`).

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
from benchmarks.diff_bench import DiffRun
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
    diff: "DiffRun | None" = None
    """`rea diff` between the corpus and a copy with some handlers changed (sizes up to --scale-diff-upto)."""

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


def measure(sizes: list[int], rounds: int, out_dir: Path, seed: int, references: int | None = None,
            diff_upto: int | None = None) -> dict[int, ScalePoint]:
    """``references``: run flake8 (without and with rea) only up to this many modules (None: at
    every size); ruff, which takes seconds, runs at every size. ``diff_upto``: likewise for `rea diff`."""
    from benchmarks.diff_bench import diff_at_scale
    from benchmarks.progress import step

    rea = rea_cli()
    if rea is None:
        raise RuntimeError("the `rea` CLI is not installed in this environment")
    env = _env()
    out_dir = out_dir.resolve()  # the commands run inside each corpus: a relative cache dir would land there
    points: dict[int, ScalePoint] = {}
    for n in sizes:
        t0 = time.perf_counter()
        root = out_dir / f"scale_{n}"
        with step(f"scale {n:,}: corpus"):
            c = corpus.generate(root, n, seed, chains=True)
        pt = points[n] = ScalePoint(len(c.files), c.lines)
        cache = out_dir / f"rea-cache-scale-{n}"
        cold = [*rea, "check", "--cache-dir", str(cache), "--jobs", "1", "."]
        warm = cold
        with step(f"scale {n:,}: rea check"):
            for _ in range(rounds):
                if cache.exists():
                    shutil.rmtree(cache)
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
        with step(f"scale {n:,}: flake8 and ruff"):
            for label, argv in refs.items():
                pt.references[label] = _check(run_process(argv, root, env), f"{label} ({n} files)")
                print(f"  scale {n}: {label} {pt.references[label].cpu:.1f}s CPU", file=sys.stderr, flush=True)
        if diff_upto is None or n <= diff_upto:
            with step(f"scale {n:,}: rea diff"):
                pt.diff = diff_at_scale(root, out_dir / f"scale_{n}_head", env)
            print(f"  scale {n}: rea diff {pt.diff.run.cpu:.1f}s CPU ({pt.diff.run.maxrss_mb:.0f} MB), "
                  f"{pt.diff.handlers} handlers, {pt.diff.breaking} breaking", file=sys.stderr, flush=True)
        pt.findings = pt.cold[-1].count("REA")
        if pt.findings != pt.warm[-1].count("REA"):
            raise RuntimeError(f"rea check finds {pt.findings} cold but {pt.warm[-1].count('REA')} warm on {n} files")
        print(f"  scale {n}: done in {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    return points


def growth(points: dict[int, ScalePoint], value) -> float:  # type: ignore[no-untyped-def]
    """value(largest) / (value(smallest) * largest/smallest): 1.0 is linear."""
    lo, hi = min(points), max(points)
    return (value(points[hi]) / points[hi].files) / (value(points[lo]) / points[lo].files)


def two_point(points: dict[int, ScalePoint], value) -> float | None:  # type: ignore[no-untyped-def]
    """value(largest) over the line through the two smallest sizes, extended to the largest
    (None with fewer than three sizes): unlike ``growth`` it does not let a fixed start-up cost
    hide superlinear work."""
    sizes = sorted(points)
    if len(sizes) < 3:
        return None
    (a, b), hi = sizes[:2], sizes[-1]
    va, vb = value(points[a]), value(points[b])
    fa, fb = points[a].files, points[b].files
    line = va + (vb - va) / (fb - fa) * (points[hi].files - fa)
    return value(points[hi]) / line if line > 0 else None


def bench_scale(sizes: list[int], rounds: int, out_dir: Path, seed: int = corpus.DEFAULT_SEED, profile_top: int = 25,
                references: int | None = None, diff_upto: int | None = None):
    from benchmarks.report import Section, Target, fmt, median

    sec = Section("Scale")
    sec.columns = ["modules", "lines", "rounds", "ast.parse CPU s", "cold CPU s", "cold files/s (CPU)",
                   "cold peak RSS MB", "warm CPU s", "warm files/s (CPU)", "warm peak RSS MB", "cold / parse CPU",
                   "findings (REA)", "rea diff CPU s", "rea diff peak RSS MB", "diff: handlers (breaking)"]
    points = measure(sorted(set(sizes)), rounds, out_dir, seed, references, diff_upto)
    sec.data = {"points": {n: {"files": p.files, "parse_cpu": p.cpu("parse"), "cold_cpu": p.cpu("cold"),
                               "warm_cpu": p.cpu("warm"), "cold_rss": p.rss("cold"), "warm_rss": p.rss("warm"),
                               **({"diff_cpu": p.diff.run.cpu, "diff_rss": p.diff.run.maxrss_mb} if p.diff else {}),
                               **{f"{k} cpu": r.cpu for k, r in p.references.items()}}
                           for n, p in points.items()}}
    for n, p in sorted(points.items()):
        d = p.diff
        sec.rows.append([
            f"{n:,}", f"{p.lines:,}", str(len(p.cold)), fmt(p.cpu("parse"), 3), fmt(p.cpu("cold"), 3),
            fmt(p.files / p.cpu("cold"), 1), fmt(p.rss("cold"), 0), fmt(p.cpu("warm"), 3),
            fmt(p.files / p.cpu("warm"), 1), fmt(p.rss("warm"), 0), fmt(median(p.parse_ratios()), 3), str(p.findings),
            fmt(d.run.cpu, 3) if d else "not run", fmt(d.run.maxrss_mb, 0) if d else "not run",
            f"{d.handlers:,} ({d.breaking:,})" if d else "not run",
        ])
    lo = min(points)
    floors: dict[str, tuple[float, float]] = {}
    """target name -> (growth of ast.parse over the same sizes, the target's growth over it)"""
    if len(points) < 2:
        sec.notes.append(f"only one size ({lo:,}): no growth to fit; pass two or more sizes to --scale.")
    else:
        measured = [("rea check cold CPU", lambda p: p.cpu("cold"), points),
                    ("rea check cold peak RSS", lambda p: p.rss("cold"), points),
                    ("rea check warm CPU", lambda p: p.cpu("warm"), points),
                    ("rea check warm peak RSS", lambda p: p.rss("warm"), points)]
        with_diff = {n: p for n, p in points.items() if p.diff}
        if len(with_diff) >= 2:
            measured += [("rea diff CPU", lambda p: p.diff.run.cpu, with_diff),
                         ("rea diff peak RSS", lambda p: p.diff.run.maxrss_mb, with_diff)]
        for label, value, pts in measured:
            plo, phi = min(pts), max(pts)
            g = growth(pts, value)
            line = two_point(pts, value)
            drift = ""
            floor = None
            if "CPU" in label:
                # ast.parse is C code with no state across files: its per-file growth in the same run is
                # the machine's (a host that slows down during the run), not superlinear work of rea's
                floor = growth(pts, lambda p: p.cpu("parse"))
                drift = (f"; ast.parse alone, the same files measured next to it, grew {fmt(floor, 3)}x, "
                         f"so over the parse floor rea's growth is {fmt(g / floor, 3)}x")
            t = Target(f"growth of {label}, {phi:,} vs {plo:,} modules", GROWTH_GOAL, "<=", "x", g,
                       how=f"per-file {label} at {phi:,} modules over per-file {label} at {plo:,} (1.0 = linear)"
                           + (f"; against the line through {sorted(pts)[0]:,} and {sorted(pts)[1]:,} modules "
                              f"extended to {phi:,}: {fmt(line, 3)}x" if line else "") + drift + ".")
            sec.targets.append(t)
            if floor is not None:
                floors[t.name] = (floor, g / floor)
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
    sec.notes.append(
        "cold: `rea check --jobs 1` on an empty cache directory (the first run in a project: every file analysed, "
        "the cache written); warm: the same command again on the unchanged tree. Per round: ast.parse of every "
        "file in a fresh interpreter (the floor), cold, warm. Sizes above 5,000 modules run one round (minutes per run).")
    sec.notes.append("CPU is user + system time of the process tree (wait4); peak RSS is ru_maxrss of the command "
                     "itself, its interpreter included. files/s are files per CPU-second, so a loaded machine "
                     "does not change them much and multi-process tools (flake8, ruff) are compared per core.")
    if any(p.diff for p in points.values()):
        from benchmarks.diff_bench import CHANGE_EVERY

        sec.notes.append(f"rea diff: `rea diff --base DIR --head DIR2 --format json` between the project and a copy "
                         f"in which every {CHANGE_EVERY}th module with a `run_typed('stamp', ...)` renames that action (breaking the "
                         "handlers that journal it); the benchmark checks the breaks are reported.")
    skipped = [n for n, p in points.items() if not p.diff]
    if skipped:
        sec.notes.append(f"rea diff not run at {', '.join(f'{n:,}' for n in sorted(skipped))} modules "
                         f"(--scale-diff-upto {diff_upto:,}).")
    if references is not None and any(n > references for n in points):
        sec.notes.append(f"flake8 (the plot's reference) runs only at sizes up to {references:,} modules "
                         "(--scale-flake8-upto): at about 22 ms of CPU per module it would take half an hour at 20,000.")
    if any(p.references for p in points.values()):
        sec.notes.append("references, once per size, files per CPU-second: " + "; ".join(
            f"{n:,}: " + ", ".join(f"{k} {p.files / r.cpu:,.0f}" for k, r in p.references.items())
            for n, p in sorted(points.items())))
    prof_size = max((n for n in points if n <= 5000), default=lo)
    for t in sec.targets:
        if t.status == "MISSED":
            tool = "diff" if "diff" in t.name else "check"
            floor = floors.get(t.name)
            machine = (f"ast.parse of the same files grew {fmt(floor[0], 3)}x in this run and rea's growth over it is "
                       f"{fmt(floor[1], 3)}x, within the goal: the machine slowed during the run, more than rea's "
                       "work grew. " if floor is not None and floor[1] <= GROWTH_GOAL else "")
            t.reason = (machine + f"{t.name.split(',')[0]} grows faster than the project. cProfile of `rea {tool}` in-process "
                        f"on the {prof_size:,}-module corpus (by own time; a function whose share grows with the "
                        "size is the superlinear part):")
            size = prof_size if tool == "check" else lo  # rea diff takes minutes at 5,000 modules
            t.reason = t.reason.replace(f"{prof_size:,}-module", f"{size:,}-module")
            t.profile = _profile(out_dir / f"scale_{size}", profile_top, tool)
    return sec


def _profile(root: Path, top: int, tool: str = "check") -> str:
    import contextlib
    import io
    import os

    from benchmarks.profiles import profile_call

    argv = (["check", "--no-cache", "--jobs", "1", "."] if tool == "check" else
            ["diff", "--base", str(root), "--head", str(root.parent / f"{root.name}_head"), "--format", "json"])

    def run() -> None:
        from rea_lint.cli import main

        here = os.getcwd()
        os.chdir(root)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                main(argv)
        finally:
            os.chdir(here)

    return profile_call(run, top=top, sort="tottime")
