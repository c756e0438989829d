"""SVG plots of the results, written next to the markdown and embedded in it.

matplotlib is an extra of the benchmarks only (`pip install -e '.[bench]'`): without it the
tables are complete and each section says the plot was not drawn and how to get it. Every
plot's subtitle names the machine, its load during the run and the date, because a figure
from a shared machine means little without them.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import Environment, Section

__all__ = ["write_plots", "MISSING"]

MISSING = "plot not drawn: matplotlib is not installed (`pip install -e '.[bench]'`, or `make bench`)"


def _subtitle(env: Environment) -> str:
    return f"{env.cpu_model}, {env.cpus} CPUs, load average {env.load or 'n/a'}; {env.date}" + (
        " (smoke run)" if env.smoke else "")


def write_plots(env: Environment, sections: list[Section], out_dir: Path, stem: str = "performance") -> list[Path]:
    """Draw what the sections measured; returns the files written (none without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("svg")
        import matplotlib.pyplot as plt
    except ImportError:
        for s in sections:
            if s.data:
                s.notes.append(MISSING)
        return []
    plt.rcParams.update({"svg.hashsalt": "rea", "font.size": 9})  # stable ids: reruns diff cleanly
    written = []
    by_title = {s.title: s for s in sections}
    for title, draw, name in (("Scale", _scale, "scale"), ("mypy plugin", _mypy, "mypy"),
                              ("Runtime guards", _runtime, "runtime")):
        sec = by_title.get(title)
        if sec is None or not sec.data:
            continue
        fig = draw(plt, sec.data)
        fig.text(0.5, 0.005, _subtitle(env), ha="center", va="bottom", fontsize=7, color="#555555")
        path = out_dir / f"{stem}-{name}.svg"
        fig.savefig(path, format="svg", metadata={"Date": None})
        plt.close(fig)
        sec.plots.append(path.name)
        written.append(path)
    return written


def _scale(plt, data):  # type: ignore[no-untyped-def]
    pts = {int(k): v for k, v in data["points"].items()}
    sizes = sorted(pts)
    fig, (ax, mem) = plt.subplots(1, 2, figsize=(10, 4.2))
    series = [("rea check, cold (--no-cache)", "cold_cpu", "o-"), ("rea check, warm cache", "warm_cpu", "s-"),
              ("ast.parse only (the floor)", "parse_cpu", "k:"), ("flake8, without rea", "flake8, without rea cpu", "^--"),
              ("flake8, with rea", "flake8, with rea cpu", "v--"), ("ruff", "ruff cpu", "d-."),
              ("rea diff (both revisions)", "diff_cpu", "x-")]
    for label, key, style in series:
        xs = [n for n in sizes if pts[n].get(key)]
        if xs:
            ax.plot(xs, [pts[n]["files"] / pts[n][key] for n in xs], style, label=label)
    _size_ticks(ax, sizes)
    ax.set_yscale("log")
    ax.set_xlabel("modules in the project")
    ax.set_ylabel("files per CPU-second")
    ax.set_title("Throughput vs project size (flat = linear)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    for label, key, style in (("rea check, cold", "cold_rss", "o-"), ("rea check, warm", "warm_rss", "s-"),
                              ("rea diff", "diff_rss", "x-")):
        xs = [n for n in sizes if pts[n].get(key)]
        if xs:
            mem.plot(xs, [pts[n][key] for n in xs], style, label=label)
    lo = sizes[0]
    mem.plot(sizes, [pts[lo]["cold_rss"] * n / lo for n in sizes], "k:", label=f"linear from {lo:,} (cold)")
    _size_ticks(mem, sizes)
    mem.set_xlabel("modules in the project")
    mem.set_yscale("log")  # rea diff holds both revisions' texts and shapes: GBs next to rea check's MBs
    mem.set_ylabel("peak RSS, MB")
    mem.set_title("Peak memory vs project size")
    mem.grid(True, which="both", alpha=0.3)
    mem.legend(fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def _size_ticks(ax, sizes: list[int]) -> None:  # type: ignore[no-untyped-def]
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()


def mypy_groups(data: dict) -> list[tuple[str, dict]]:
    """(corpus, {"without": {"cold": s, "warm": s}, "with": {...}}) pairs in the mypy section's data:
    either one pair at the top (the generated corpus) or one per corpus key, other keys ignored."""
    def pair(d: object) -> bool:
        return isinstance(d, dict) and all(isinstance(d.get(k), dict) for k in ("without", "with"))

    if pair(data):
        return [("generated", data)]
    return [(str(k), v) for k, v in data.items() if pair(v)]


def _mypy(plt, data):  # type: ignore[no-untyped-def]
    groups = mypy_groups(data)
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(4.2 * max(len(groups), 1) + 1, 3.6), squeeze=False)
    for ax, (name, d) in zip(axes[0], groups):
        states = [s for s in ("cold", "warm") if s in d["without"] and s in d["with"]]
        width = 0.38
        for i, side in enumerate(("without", "with")):
            vals = [d[side][s] for s in states]
            bars = ax.bar([x + (i - 0.5) * width for x in range(len(states))], vals, width, label=f"{side} rea's plugin")
            ax.bar_label(bars, fmt="%.2f s", fontsize=7)
        ax.set_xticks(range(len(states)), [f"{s} cache" for s in states])
        ax.set_ylabel("mypy CPU s (median)")
        ax.set_title(f"mypy with and without the plugin: {name}")
        ax.legend(fontsize=7)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def _runtime(plt, data):  # type: ignore[no-untyped-def]
    fig, (thr, lat) = plt.subplots(1, 2, figsize=(9, 3.6))
    # (raw, guarded[, control]): the control, a second raw app served at the same time, is drawn
    # beside them, the spread of the measure between two identical apps
    names = ["raw", "guarded", "raw (control)"][:len(data["throughput"])]
    bars = thr.bar(names, data["throughput"], color=["#888888", "#1f77b4", "#bbbbbb"][:len(names)])
    thr.bar_label(bars, fmt="%.0f", fontsize=7)
    thr.set_ylabel("invocations / s (median of windows)")
    thr.set_title(f"Throughput, {data['concurrency']} concurrent invocations per app", fontsize=9)
    width = 0.38
    for i, (side, color) in enumerate((("raw", "#888888"), ("guarded", "#1f77b4"))):
        vals = [data["p50_ms"][i], data["p99_ms"][i]]
        b = lat.bar([x + (i - 0.5) * width for x in range(2)], vals, width, label=side, color=color)
        lat.bar_label(b, fmt="%.0f", fontsize=7)
    lat.set_xticks(range(2), ["p50", "p99 (median of windows)"])
    lat.set_ylabel("latency, ms")
    lat.set_title("Latency, guarded vs raw")
    lat.legend(fontsize=7)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig
