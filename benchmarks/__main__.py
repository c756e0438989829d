"""`python -m benchmarks`: every benchmark, one table, docs/performance.md.

    python -m benchmarks            # the full run: about 30 minutes on an idle 2-core machine,
                                    # writes docs/performance.md and docs/performance-*.svg
    python -m benchmarks --smoke    # tiny corpora, a minute; writes benchmarks/out/smoke/performance-smoke.md
    python -m benchmarks --only scale --scale 1000,5000   # how rea check grows with a project
    python -m benchmarks --scale 200,400 --modules 100 --rounds 1 --doc /tmp/p.md   # a quick full pass

It prints each step as it starts, with the time spent and the expected time left.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchmarks import corpus, progress
from benchmarks.report import Environment, Section, render_console, render_json, render_markdown

REPO = Path(__file__).resolve().parents[1]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny corpora and one round: checks the benchmarks work")
    p.add_argument("--modules", type=int, help="generated Restate modules in corpus (a) (default 2000; smoke 20)")
    p.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED, help="corpus (a) seed")
    p.add_argument("--stdlib-every", type=int, help="corpus (b): every k-th stdlib file (default 6; smoke 150)")
    p.add_argument("--rounds", type=int, help="alternating rounds per ratio (default 3; smoke 1)")
    p.add_argument("--mypy-modules", type=int, help="modules of corpus (a) mypy checks (default 150; smoke 5)")
    p.add_argument("--runtime-seconds", type=float, help="seconds per app per round of the server benchmark, which serves its apps at once for the time two apps taking turns would take (default 4; smoke 0.5)")
    p.add_argument("--scale", type=_sizes, help="comma-separated project sizes (modules) of the scale section "
                   "(default 1000,5000,20000: an idle machine needs about 15 minutes; smoke 20,40)")
    p.add_argument("--scale-flake8-upto", type=int, metavar="N",
                   help="run flake8 (the plot's reference) only at scale sizes up to N modules (default 5000: "
                        "flake8 takes about 30 minutes at 20,000)")
    p.add_argument("--scale-diff-upto", type=int, metavar="N",
                   help="run `rea diff` only at scale sizes up to N modules (default: every size; it takes about 5 ms "
                        "of CPU per module and holds one file's tree at a time, and every handler's shape: about 1.5 GB at 20,000)")
    p.add_argument("--real", type=Path, action="append", default=[], metavar="DIR",
                   help="add the Restate modules under DIR (e.g. a checkout of restatedev/examples) to the real "
                        "corpus; it always has this repository's examples/ and tests/runtime apps")
    p.add_argument("--only", action="append", choices=["linter", "mypy", "runtime", "diff", "scale"], help="run only these sections")
    p.add_argument("--out", type=Path, help="scratch directory (default benchmarks/out, smoke: benchmarks/out/smoke; gitignored)")
    p.add_argument("--doc", type=Path, help="where to write the markdown (default docs/performance.md; smoke: OUT/performance-smoke.md)")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    return p


def _byte_compile() -> None:
    """Write the bytecode of rea's packages, as pip does when it installs a wheel: the tools
    rea is compared with are installed that way, and a process that compiles rea's sources
    first would measure the compiler, not rea. (py_compile writes even under
    PYTHONDONTWRITEBYTECODE, which only stops the import system from writing.)"""
    import compileall

    for package in ("rea_lint", "rea_runtime", "mypy_plugin"):
        compileall.compile_dir(str(REPO / package), quiet=1, workers=1)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    smoke = args.smoke
    if args.out is None:  # a smoke run must never delete the corpus a full run is measuring
        args.out = REPO / "benchmarks" / "out" / ("smoke" if smoke else "")
    modules = args.modules or (20 if smoke else 2000)
    every = args.stdlib_every or (150 if smoke else 6)
    rounds = args.rounds or (1 if smoke else 3)
    mypy_modules = args.mypy_modules or (5 if smoke else 150)
    runtime_seconds = args.runtime_seconds or (0.5 if smoke else 4.0)
    doc = args.doc or (args.out / "performance-smoke.md" if smoke else REPO / "docs" / "performance.md")
    only = set(args.only or ["linter", "mypy", "runtime", "diff", "scale"])
    scale = sorted(set(args.scale or ([20, 40] if smoke else [1000, 5000, 20000])))
    flake8_upto = args.scale_flake8_upto if args.scale_flake8_upto is not None else (None if smoke else 5000)
    diff_upto = args.scale_diff_upto  # (None: every size)
    # as many rounds at 20,000 modules as at 1,000 (the median is taken): one run of 20,000 alone
    # varied by 20% on a shared machine, and with one round there the growth ranged 0.55x-1.77x
    scale_rounds = 1 if smoke else rounds
    args.out.mkdir(parents=True, exist_ok=True)
    _byte_compile()

    started = time.perf_counter()
    left_out = [x for x in ("linter", "mypy", "runtime", "diff", "scale") if x not in only]
    partial = "; ".join(filter(None, [
        f"sections not run: {', '.join(left_out)}" if left_out else "",
        f"{modules:,} generated modules in the linter corpus (the full run: 2,000)" if modules != 2000 else "",
        f"scale sizes {', '.join(f'{n:,}' for n in scale)} only (the full run: 1,000, 5,000 and 20,000)"
        if "scale" in only and scale != [1000, 5000, 20000] else "",
        f"{rounds} round(s) per ratio (the full run: 3)" if rounds != 3 else "",
    ]))
    env = Environment(
        smoke=smoke,
        partial=partial,
        command="python -m benchmarks" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip(),
        load="at the start " + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        versions=_versions(),
    )
    progress.plan(_estimates(only, modules, every, rounds, mypy_modules, runtime_seconds, scale, scale_rounds,
                             flake8_upto, diff_upto))
    if only & {"linter", "mypy"}:
        with progress.step("corpora"):
            corpus_a = corpus.generate(args.out / "corpus_a", modules, args.seed)
            corpus_b = corpus.stdlib_corpus(every)
            corpus_b.name = f"stdlib sample (every {every}th file)" if every > 1 else "stdlib"
            full = corpus.stdlib_corpus(1) if not smoke else corpus_b
            if full is not corpus_b:
                full.name = "stdlib, whole"
            corpus_a.name = "generated Restate"
            real = corpus.real_corpus(args.real)
        print(f"corpora: {len(corpus_a.files)} generated modules ({corpus_a.lines:,} lines); "
              f"{len(corpus_b.files)} stdlib files ({corpus_b.lines:,} lines); {len(real.files)} real Restate modules "
              f"({real.lines:,} lines)", flush=True)

    sections: list[Section] = []
    if "linter" in only:
        from benchmarks.linter import bench_linter

        sections.append(_timed(lambda: bench_linter(corpus_a, corpus_b, full, rounds, args.out,
                                                    profile_top=15 if smoke else 30, real=real,
                                                    steady_seconds=0.05 if smoke else 1.5)))
    if "mypy" in only:
        from benchmarks.mypy_bench import bench_mypy

        with progress.step("mypy plugin"):
            sections.append(_timed(lambda: _call_mypy(bench_mypy, corpus_a, real, mypy_modules, args.out, smoke, rounds)))
    if "runtime" in only:
        from benchmarks.runtime_bench import bench_runtime

        with progress.step("runtime guards"):
            sections.append(_timed(lambda: bench_runtime(runtime_seconds, rounds, smoke=smoke)))
    if "diff" in only:
        from benchmarks.diff_bench import bench_diff

        with progress.step("rea diff"):
            sections.append(_timed(lambda: bench_diff(rounds if smoke else 5)))
    if "scale" in only:
        from benchmarks.scale import bench_scale

        sections.append(_timed(lambda: bench_scale(scale, scale_rounds, args.out, profile_top=15 if smoke else 30,
                                                   references=flake8_upto, diff_upto=diff_upto)))
    require_targets(sections, only)
    for sec in sections:
        for t in sec.targets:
            if t.status == "not available yet" and not t.reason:
                t.reason = "this run measured no value for it (see the section's notes)"
                print(f"warning: no value for target {t.name!r}", file=sys.stderr, flush=True)
    env.load += "; at the end " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    doc.parent.mkdir(parents=True, exist_ok=True)
    from benchmarks.plots import write_plots

    env.total_seconds = time.perf_counter() - started
    for path in write_plots(env, sections, doc.parent, stem=doc.stem):
        print(f"wrote {path}")
    print(render_console(env, sections), flush=True)
    doc.write_text(render_markdown(env, sections))
    print(f"wrote {doc} ({env.total_seconds / 60:.1f} min; planned {progress.planned() / 60:.1f} min)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(render_json(env, sections))
    return 0


def _call_mypy(bench_mypy, corpus_a, real, modules: int, out: Path, smoke: bool, rounds: int = 3) -> Section:  # type: ignore[no-untyped-def]
    """benchmarks/mypy_bench.py is its own helper's: pass the real corpus when it takes one."""
    import inspect

    params = inspect.signature(bench_mypy).parameters
    kwargs = {"rounds": 1 if smoke else rounds, "smoke": smoke}
    for name in ("real", "real_corpus", "corpus_real"):
        if name in params:
            kwargs[name] = real
    return bench_mypy(corpus_a, modules, out, **{k: v for k, v in kwargs.items() if k in params})


REQUIRED = {
    # section -> (fragments that must all appear in one target's name, the name to report it under, goal, op, unit)
    "Linter": [
        (("rea check --jobs 1 cold CPU / ast.parse CPU", "generated"), "rea check --jobs 1 cold CPU / ast.parse CPU, generated Restate", 1.5, "<=", "x"),
        (("rea check --jobs 1 cold CPU / ast.parse CPU", "real"), "rea check --jobs 1 cold CPU / ast.parse CPU, real Restate", 1.5, "<=", "x"),
        (("flake8 plugin", "generated"), "rea's flake8 plugin CPU / flake8's own CPU, generated Restate", 0.03, "<=", "x"),
        (("flake8 plugin", "stdlib"), "rea's flake8 plugin CPU / flake8's own CPU, stdlib sample", 0.01, "<=", "x"),
        (("warm files/s", "ruff"), "rea check warm files/s (CPU) / ruff files/s (CPU), generated Restate", 1.0, ">=", "x")],
    "mypy plugin": [
        (("cold", "generated"), "mypy with plugin / without, cold cache, generated Restate", 1.10, "<=", "x"),
        (("warm", "generated"), "mypy with plugin / without, warm cache, generated Restate", 1.03, "<=", "x"),
        (("cold", "real"), "mypy with plugin / without, cold cache, real Restate", 1.10, "<=", "x"),
        (("warm", "real"), "mypy with plugin / without, warm cache, real Restate", 1.03, "<=", "x")],
    "Runtime guards": [
        (("context call",), "guard overhead per context call (worst method)", 2.0, "<=", "µs"),
        (("throughput",), "guarded / raw handler throughput on restate-server", 0.97, ">=", "x"),
        (("p99",), "guarded / raw p99 latency, >= 50 concurrent invocations", 1.10, "<=", "x")],
    "Scale": [
        (("growth of rea check cold CPU",), "growth of rea check cold CPU, largest vs smallest size", 1.15, "<=", "x"),
        (("growth of rea check cold peak RSS",), "growth of rea check cold peak RSS, largest vs smallest size", 1.15, "<=", "x"),
        (("growth of rea check warm CPU",), "growth of rea check warm CPU, largest vs smallest size", 1.15, "<=", "x"),
        (("growth of rea diff CPU",), "growth of rea diff CPU, largest vs smallest size", 1.15, "<=", "x")],
}
"""Issue 18's targets: each one is in the table, measured or saying why it is not."""


def require_targets(sections: list[Section], only: set[str]) -> None:
    """Add a "not available yet" row for each of issue 18's targets a section did not judge.

    A section judges its targets by name; the mypy and runtime sections belong to other work and
    may name theirs differently, so a fragment is matched case-insensitively, and "generated" is
    assumed when a name names no corpus at all."""
    from benchmarks.report import Target

    def names(t: Target) -> str:
        n = t.name.lower()
        return n if ("real" in n or "generated" in n or "stdlib" in n) else n + " generated"

    for sec in sections:
        for fragments, name, goal, op, unit in REQUIRED.get(sec.title, []):
            if any(all(f.lower() in names(t) for f in fragments) for t in sec.targets):
                continue
            sec.targets.append(Target(
                f"{name} (issue 18)", goal, op, unit, None,
                reason=f"this run of the {sec.title} section measured no such target"
                       + (f": {sec.unavailable_reason}" if not sec.available else
                          " (benchmarks/mypy_bench.py measures the generated corpus only)" if sec.title == "mypy plugin"
                          else " (with fewer than two sizes, or a step of it not run: see the notes)")))


def _estimates(only: set[str], modules: int, every: int, rounds: int, mypy_modules: int, runtime_seconds: float,
               scale: list[int], scale_rounds: int, flake8_upto: int | None, diff_upto: int | None) -> dict[str, float]:
    """Seconds each step should take on an idle 2-core machine (progress.COST: per-file costs)."""
    c = progress.COST
    est: dict[str, float] = {}
    if only & {"linter", "mypy"}:
        est["corpora"] = 3 + modules * c["generate"]
    if "linter" in only:
        per = 2 * c["flake8"] + c["parse"] + c["rea_cold"] * 1.6 + c["rea_warm"] + c["ruff"]
        est["linter: generated Restate"] = rounds * modules * per + 4 * rounds
        stdlib = 1800 // every
        est[f"linter: stdlib sample (every {every}th file)" if every > 1 else "linter: stdlib"] = (
            rounds * stdlib * (2 * 0.02 + 0.007 + 0.012) + 4 * rounds)
        est["linter: real Restate"] = rounds * 2 + 2
        est["linter: real Restate, steady state"] = max(rounds, 5) * 1.5 * 3.2 + 2
        est["linter: whole stdlib"] = 20
        est["linter: profiles"] = modules * c["rea_cold"] * 4 + 5
    if "mypy" in only:
        est["mypy plugin"] = 90 + mypy_modules * 0.9  # five cold rounds (nine of the real corpus), the attribution runs
    if "runtime" in only:
        est["runtime guards"] = 40 + runtime_seconds * 2 * rounds
    if "diff" in only:
        est["rea diff"] = 10
    if "scale" in only:
        for n in scale:
            est[f"scale {n:,}: corpus"] = 1 + n * c["generate"]
            est[f"scale {n:,}: rea check"] = scale_rounds * n * (c["parse"] + c["rea_cold"] + c["rea_warm"])
            est[f"scale {n:,}: flake8 and ruff"] = n * (c["ruff"] + (2 * c["flake8"] if flake8_upto is None or n <= flake8_upto else 0))
            if diff_upto is None or n <= diff_upto:
                est[f"scale {n:,}: rea diff"] = 2 + n * c["diff"]
    return est


def _timed(make) -> Section:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    sec = make()
    sec.seconds = time.perf_counter() - t0
    print(f"[{sec.title}: {sec.seconds:.0f}s]", flush=True)
    return sec


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 1000,5000, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes like 1000,5000, got {text!r}")
    return sizes


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("restate-rea", "flake8", "mypy", "restate-sdk", "ruff"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    raise SystemExit(main())
