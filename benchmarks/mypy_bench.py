"""The mypy plugin section: mypy with vs without rea's plugin on part of corpus (a).

mypy is slow, so it checks the first N modules of corpus (a) (150 by default), with restate
and pydantic followed as usual. Each side has its own config file that differs only in
``plugins = mypy_plugin``. Cold: an empty ``--cache-dir`` for every run. Warm: the same
command again on an unchanged tree, reusing the cache that side's cold run left. Sides
alternate (without, with) in each round; the ratio is the median of per-round ratios, on CPU
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


def bench_mypy(corpus_a, modules: int, out_dir: Path, rounds: int = 2, smoke: bool = False) -> Section:
    sec = Section("mypy plugin")
    cold = Target("mypy with plugin / without, cold cache", 1.10, "<=", "x")
    if importlib.util.find_spec("mypy_plugin") is None or importlib.util.find_spec("mypy") is None:
        sec.available = False
        sec.unavailable_reason = "the mypy plugin (branch mypy) is not on main yet"
        cold.reason = sec.unavailable_reason
        sec.targets.append(cold)
        return sec
    work = out_dir / "mypy"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    files = [str(p) for p in corpus_a.files[:modules]]
    configs = {"without": _config(work / "without.ini", False, smoke), "with": _config(work / "with.ini", True, smoke)}
    runs: dict[str, dict[str, list[Run]]] = {k: {"cold": [], "warm": []} for k in configs}
    for r in range(rounds):
        for side, cfg in configs.items():  # A B A B ...
            cache = work / f"cache-{side}-{r}"
            runs[side]["cold"].append(_mypy(cfg, cache, files, corpus_a.root))
    for r in range(rounds):
        for side, cfg in configs.items():
            runs[side]["warm"].append(_mypy(cfg, work / f"cache-{side}-0", files, corpus_a.root))

    sec.columns = ["mypy on", "cache", "wall s (median)", "CPU s (median)", "peak RSS MB", "errors (REA)"]
    for side in configs:
        for state in ("cold", "warm"):
            rs = runs[side][state]
            sec.rows.append([f"{len(files)} generated modules, {side} plugin", state, fmt(median([x.wall for x in rs]), 2),
                             fmt(median([x.cpu for x in rs]), 2), fmt(max(x.maxrss_mb for x in rs), 0),
                             f"{len(ERROR.findall(rs[-1].stdout))} ({_rea_errors(rs[-1])})"])

    def ratio(state: str) -> tuple[list[float], list[float]]:
        a, b = runs["without"][state], runs["with"][state]
        return [y.cpu / x.cpu for x, y in zip(a, b)], [y.wall / x.wall for x, y in zip(a, b)]

    cpu, wall = ratio("cold")
    cold.value = median(cpu)
    cold.how = (f"CPU-time ratio, median of {len(cpu)} alternating rounds (per round: "
                f"{', '.join(fmt(x, 3) for x in cpu)}); wall-time ratio {fmt(median(wall), 3)}.")
    wcpu, wwall = ratio("warm")
    warm = Target("mypy with plugin / without, warm cache", 1.03, "<=", "x", median(wcpu),
                  how=f"CPU-time ratio, median of {len(wcpu)} alternating rounds (per round: "
                      f"{', '.join(fmt(x, 3) for x in wcpu)}); wall-time ratio {fmt(median(wwall), 3)}.")
    if warm.status == "MISSED":
        warm.reason = ("On a warm cache mypy re-checks nothing, so the difference is the plugin's import and "
                       "registration in a fresh interpreter (see the profile of the cold run for the per-call cost).")
    sec.targets += [cold, warm]
    sec.data = {side: {state: median([x.cpu for x in runs[side][state]]) for state in ("cold", "warm")}
                for side in configs}
    if smoke:
        sec.notes.append("smoke run: follow_imports = skip, so restate's types are unknown and the plugin has little to do.")
    if cold.status == "MISSED":
        from benchmarks.profiles import profile_call

        def mypy_with_plugin() -> None:
            from mypy import api

            api.run(["--config-file", str(configs["with"]), "--cache-dir", str(work / "cache-profile"),
                     "--no-error-summary", *files[: max(20, len(files) // 3)]])

        cold.reason = ("mypy with the plugin costs more than 10% over mypy alone on a cold cache. cProfile of a "
                       "cold in-process run with the plugin (a third of the modules; mypy itself is compiled, so only "
                       "the plugin's pure-Python functions appear), the plugin's functions by cumulative time:")
        cold.profile = profile_call(mypy_with_plugin, top=30, restrict="mypy_plugin")
    return sec
