"""`python -m benchmarks`: every benchmark, one table, docs/performance.md.

    python -m benchmarks            # the full run (under 10 minutes), writes docs/performance.md
    python -m benchmarks --smoke    # tiny corpora, a few seconds; writes benchmarks/out/performance-smoke.md
    python -m benchmarks --only scale --scale 1000,5000   # how rea check grows with a project
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchmarks import corpus
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
    p.add_argument("--runtime-seconds", type=float, help="seconds per side per round of the server benchmark (default 4; smoke 0.5)")
    p.add_argument("--scale", type=_sizes, help="comma-separated project sizes (modules) of the scale section "
                   "(default 1000,5000,20000: an idle machine needs about 15 minutes; smoke 20,40)")
    p.add_argument("--scale-flake8-upto", type=int, metavar="N",
                   help="run flake8 (the plot's reference) only at scale sizes up to N modules (default: every size)")
    p.add_argument("--only", action="append", choices=["linter", "mypy", "runtime", "diff", "scale"], help="run only these sections")
    p.add_argument("--out", type=Path, help="scratch directory (default benchmarks/out, smoke: benchmarks/out/smoke; gitignored)")
    p.add_argument("--doc", type=Path, help="where to write the markdown (default docs/performance.md; smoke: OUT/performance-smoke.md)")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    return p


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
    scale = args.scale or ([20, 40] if smoke else [1000, 5000, 20000])
    args.out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    left_out = [x for x in ("linter", "mypy", "runtime", "scale") if x not in only]
    partial = "; ".join(filter(None, [
        f"sections not run: {', '.join(left_out)}" if left_out else "",
        f"scale sizes {', '.join(f'{n:,}' for n in scale)} only (the full run adds 20,000)"
        if "scale" in only and max(scale) < 20000 else "",
        f"flake8 at scale sizes up to {args.scale_flake8_upto:,} only" if "scale" in only and args.scale_flake8_upto is not None else "",
    ]))
    env = Environment(
        smoke=smoke,
        partial=partial,
        command="python -m benchmarks" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip(),
        load="at the start " + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        versions=_versions(),
    )
    if only & {"linter", "mypy"}:
        t0 = time.perf_counter()
        corpus_a = corpus.generate(args.out / "corpus_a", modules, args.seed)
        corpus_b = corpus.stdlib_corpus(every)
        corpus_b.name = f"stdlib sample (every {every}th file)" if every > 1 else "stdlib"
        full = corpus.stdlib_corpus(1) if not smoke else corpus_b
        if full is not corpus_b:
            full.name = "stdlib, whole"
        corpus_a.name = "generated Restate"
        print(f"corpora: {len(corpus_a.files)} generated modules ({corpus_a.lines:,} lines) in "
              f"{time.perf_counter() - t0:.1f}s; {len(corpus_b.files)} stdlib files ({corpus_b.lines:,} lines)", flush=True)

    sections: list[Section] = []
    if "linter" in only:
        from benchmarks.linter import bench_linter

        sections.append(_timed(lambda: bench_linter(corpus_a, corpus_b, full, rounds, args.out,
                                                    profile_top=15 if smoke else 30)))
    if "mypy" in only:
        from benchmarks.mypy_bench import bench_mypy

        sections.append(_timed(lambda: bench_mypy(corpus_a, mypy_modules, args.out, rounds=1 if smoke else 2, smoke=smoke)))
    if "runtime" in only:
        from benchmarks.runtime_bench import bench_runtime

        sections.append(_timed(lambda: bench_runtime(runtime_seconds, rounds, smoke=smoke)))
    if "diff" in only:
        from benchmarks.diff_bench import bench_diff

        sections.append(_timed(lambda: bench_diff(rounds if smoke else 5)))
    if "scale" in only:
        from benchmarks.scale import bench_scale

        sections.append(_timed(lambda: bench_scale(scale, 1 if smoke else min(rounds, 2), args.out,
                                                   profile_top=15 if smoke else 30,
                                                   references=args.scale_flake8_upto)))
    for sec in sections:
        for t in sec.targets:
            if t.status == "not available yet" and not t.reason:
                t.reason = "this run measured no value for it (see the section's notes)"
                print(f"warning: no value for target {t.name!r}", file=sys.stderr, flush=True)
    env.load += "; at the end " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    doc.parent.mkdir(parents=True, exist_ok=True)
    from benchmarks.plots import write_plots

    for path in write_plots(env, sections, doc.parent, stem=doc.stem):
        print(f"wrote {path}")
    env.total_seconds = time.perf_counter() - started
    print(render_console(env, sections), flush=True)
    doc.write_text(render_markdown(env, sections))
    print(f"wrote {doc}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(render_json(env, sections))
    return 0


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
