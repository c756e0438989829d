"""Peak memory of `rea check` on one huge module, against `ast.parse` of the same file.

    python -m benchmarks.memory                    # 205,000 handlers, ~20 MB, ~820k lines (needs ~8 GB free)
    python -m benchmarks.memory --handlers 20000   # a quick look

Each side runs in its own child process and its peak resident set is read from the kernel
(`os.wait4` rusage, `ru_maxrss`), so nothing of one run is counted in the other. The target
(issue 17): `rea check` stays within 1.5x of `ast.parse` alone. The module is generated in a
scratch directory (never in the repository): handlers with a clock read each, so every
handler is analysed and every one yields a finding.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = 'import time\nimport restate\n\nsvc = restate.VirtualObject("orders")\n\n'
HANDLER = (
    "@svc.handler()\n"
    "async def handler_{i}(ctx: restate.ObjectContext, order_id: str) -> float:\n"
    "    return time.time()  # a replay mistake in every handler\n"
    "\n"
)


def generate(path: Path, handlers: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEAD)
        for i in range(handlers):
            fh.write(HANDLER.format(i=i))
    return path


def peak_rss(argv: list[str]) -> tuple[int, float, int]:
    """(peak RSS in bytes, seconds, exit code) of a child process running ``argv``."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if err.strip():
        print(err.strip()[-500:], file=sys.stderr)
    return usage.ru_maxrss * 1024, seconds, proc.returncode  # Linux reports KiB


def measure(handlers: int, workdir: Path) -> dict[str, float]:
    module = generate(workdir / "huge.py", handlers)
    (workdir / "pyproject.toml").write_text('[tool.rea]\nmax-file-size = "1 GiB"\n', encoding="utf-8")
    size = module.stat().st_size
    lines = sum(1 for _ in module.open("rb"))
    parse = [sys.executable, "-c", "import ast, sys; ast.parse(open(sys.argv[1], 'rb').read())", str(module)]
    check = [sys.executable, "-m", "rea_lint", "check", "--no-cache", "-j", "1", "--config", str(workdir / "pyproject.toml"), str(module)]
    parse_rss, parse_s, _ = peak_rss(parse)
    check_rss, check_s, code = peak_rss(check)
    return {
        "handlers": handlers,
        "bytes": size,
        "lines": lines,
        "ast_parse_peak_mb": parse_rss / 1e6,
        "ast_parse_seconds": parse_s,
        "rea_check_peak_mb": check_rss / 1e6,
        "rea_check_seconds": check_s,
        "rea_check_exit": code,
        "ratio": check_rss / parse_rss,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--handlers", type=int, default=205_000, help="handlers in the generated module (default 205,000: ~20 MB)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rea-memory-") as tmp:
        r = measure(args.handlers, Path(tmp))
    print(
        f"module: {r['bytes'] / 1e6:.1f} MB, {r['lines']:,} lines, {r['handlers']:,} handlers\n"
        f"ast.parse alone: peak {r['ast_parse_peak_mb']:,.0f} MB in {r['ast_parse_seconds']:.1f} s\n"
        f"rea check:       peak {r['rea_check_peak_mb']:,.0f} MB in {r['rea_check_seconds']:.1f} s (exit {r['rea_check_exit']})\n"
        f"ratio: {r['ratio']:.2f}x (target: at most 1.5x)"
    )
    return 0 if r["rea_check_exit"] == 1 else 1  # 1: the findings were reported


if __name__ == "__main__":
    sys.exit(main())
