"""The mypy plugin section: mypy with vs without rea's plugin on part of corpus (a) and on the
real Restate corpus (the repository's own services and runtime-test apps, `corpus.real_corpus`).

mypy is slow, so it checks the first N modules of corpus (a) (150 by default) and every module
of the real corpus, with restate and pydantic followed as usual (mypy errors in those files do
not matter: the time does). Each side has its own config file that differs only in
``plugins = mypy_plugin``. Cold: an empty ``--cache-dir`` for every run. Warm: the same
command again on an unchanged tree, reusing the cache that side's cold run left. Sides
alternate (without, with) in each round (at least three); the ratio is the median of per-round ratios, on CPU
time (see the linter section for why), with wall time shown next to it.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

from benchmarks.linter import Run, _env, run_process
from benchmarks.report import Section, Target, fmt, median

__all__ = ["bench_mypy"]

ERROR = re.compile(r": error: .*\[([\w-]+)\]\s*$", re.M)


def _config(path: Path, plugin: bool, smoke: bool) -> Path:
    lines = ["[mypy]", "python_version = %d.%d" % sys.version_info[:2]]
    if plugin:
        lines.append("plugins = mypy_plugin")
    if smoke:
        lines.append("follow_imports = skip")  # smoke only: keeps it to seconds; the figures mean nothing
    path.write_text("\n".join(lines) + "\n")
    return path


def _mypy(config: Path, cache: Path, files: list[str], cwd: Path) -> Run:
    run = run_process([sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(cache),
                       "--no-error-summary", "--show-error-codes", *files], cwd, _env())
    if run.returncode not in (0, 1):
        raise RuntimeError(f"mypy failed (exit {run.returncode}): {(run.stderr or run.stdout)[-2000:]}")
    return run


def _rea_errors(run: Run) -> int:
    return sum(1 for code in ERROR.findall(run.stdout) if code.lower().startswith("rea"))


def _measure(configs: dict[str, Path], work: Path, label: str, files: list[str], cwd: Path,
             rounds: int) -> dict[str, dict[str, list[Run]]]:
    """Cold then warm runs of each side, alternating (without, with) in every round."""
    runs: dict[str, dict[str, list[Run]]] = {k: {"cold": [], "warm": []} for k in configs}
    for r in range(rounds):
        for side, cfg in configs.items():  # A B A B ...
            runs[side]["cold"].append(_mypy(cfg, work / f"cache-{label}-{side}-{r}", files, cwd))
    for r in range(rounds):
        for side, cfg in configs.items():
            runs[side]["warm"].append(_mypy(cfg, work / f"cache-{label}-{side}-0", files, cwd))
    return runs


def _ratios(runs: dict[str, dict[str, list[Run]]], state: str) -> tuple[list[float], list[float]]:
    a, b = runs["without"][state], runs["with"][state]
    return [y.cpu / x.cpu for x, y in zip(a, b)], [y.wall / x.wall for x, y in zip(a, b)]


def bench_mypy(corpus_a, modules: int, out_dir: Path, rounds: int = 3, smoke: bool = False, real=None) -> Section:
    """mypy with/without the plugin on the first ``modules`` of corpus (a) and on ``real`` (the
    real Restate corpus, every module of it), cold and warm."""
    sec = Section("mypy plugin")
    if importlib.util.find_spec("mypy_plugin") is None or importlib.util.find_spec("mypy") is None:
        cold = Target("mypy with plugin / without, cold cache, generated Restate", 1.10, "<=", "x")
        sec.available = False
        sec.unavailable_reason = "the mypy plugin (branch mypy) is not on main yet"
        cold.reason = sec.unavailable_reason
        sec.targets.append(cold)
        return sec
    if not smoke:
        rounds = max(rounds, 3)  # a median of per-round ratios needs three rounds to mean anything
    work = out_dir / "mypy"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    configs = {"without": _config(work / "without.ini", False, smoke), "with": _config(work / "with.ini", True, smoke)}
    corpora = [("generated Restate", "generated", [str(p) for p in corpus_a.files[:modules]], corpus_a.root,
                f"{min(modules, len(corpus_a.files))} generated modules")]
    if real is not None and real.files:
        real_files = [str(p) for p in real.files][: modules if smoke else None]  # smoke: seconds, not minutes
        corpora.append(("real Restate", "real", real_files, real.root, f"{len(real_files)} real Restate modules"))
    else:
        sec.notes.append("no real Restate corpus was given: its mypy targets have no value in this run.")

    sec.columns = ["mypy on", "cache", "wall s (median)", "CPU s (median)", "peak RSS MB", "errors (REA)"]
    profiled: list[tuple[Target, list[str], Path]] = []
    for name, label, files, cwd, shown in corpora:
        runs = _measure(configs, work, label, files, cwd, rounds)
        for side in configs:
            for state in ("cold", "warm"):
                rs = runs[side][state]
                sec.rows.append([f"{shown}, {side} plugin", state, fmt(median([x.wall for x in rs]), 2),
                                 fmt(median([x.cpu for x in rs]), 2), fmt(max(x.maxrss_mb for x in rs), 0),
                                 f"{len(ERROR.findall(rs[-1].stdout))} ({_rea_errors(rs[-1])})"])
        targets = []
        for state, goal in (("cold", 1.10), ("warm", 1.03)):
            cpu, wall = _ratios(runs, state)
            targets.append(Target(
                f"mypy with plugin / without, {state} cache, {name}", goal, "<=", "x", median(cpu),
                how=(f"{shown}; CPU-time ratio, median of {len(cpu)} alternating rounds (per round: "
                     f"{', '.join(fmt(x, 3) for x in cpu)}); wall-time ratio {fmt(median(wall), 3)}.")))
        cold, warm = targets
        if warm.status == "MISSED":
            warm.reason = ("On a warm cache mypy re-checks nothing: the difference is the plugin's import and "
                           "registration in a fresh interpreter (its error codes must exist to replay cached errors).")
        if cold.status == "MISSED":
            profiled.append((cold, files, cwd))
        sec.targets += targets
        sec.data[name] = {side: {state: median([x.cpu for x in runs[side][state]]) for state in ("cold", "warm")}
                          for side in configs}
    if smoke:
        sec.notes.append("smoke run: follow_imports = skip, so restate's types are unknown and the plugin has little to do.")
    for target, files, cwd in profiled:
        from benchmarks.profiles import profile_call

        def mypy_with_plugin(files: list[str] = files, cwd: Path = cwd) -> None:
            import os

            from mypy import api

            here = os.getcwd()
            os.chdir(cwd)
            try:
                api.run(["--config-file", str(configs["with"]), "--cache-dir", str(work / f"cache-profile-{len(files)}"),
                         "--no-error-summary", *files[: max(20, len(files) // 3)]])
            finally:
                os.chdir(here)

        target.reason = ("mypy with the plugin costs more than 10% over mypy alone on a cold cache. cProfile of a "
                         "cold in-process run with the plugin (a third of the modules, at least 20; mypy itself is "
                         "compiled, so only the plugin's pure-Python functions appear), the plugin's functions by "
                         "cumulative time:")
        target.profile = profile_call(mypy_with_plugin, top=30, restrict="mypy_plugin")
    return sec
