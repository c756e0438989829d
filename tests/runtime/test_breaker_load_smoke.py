"""The breaker load benchmark runs end to end on a real server: every side answers every call.

Numbers are not checked here (timing targets belong in benchmarks/); only that the benchmark
works, so the idle-machine run measures something."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_breaker_load_measures_direct_and_each_shard_count_without_errors():
    out = subprocess.run([sys.executable, "-m", "benchmarks.breaker_load", "--seconds", "0.5", "--concurrency", "2",
                          "--shards", "1", "3"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    rows = re.findall(r"^(direct|breaker/\d+ shards?)\s+([\d.]+)\s+([\d.]+)x\s+([\d.]+)\s+([\d.]+)\s+(\d+)$",
                      out.stdout, re.M)
    assert [r[0] for r in rows] == ["direct", "breaker/1 shard", "breaker/3 shards"], out.stdout
    for name, calls, _ratio, _p50, _p99, errors in rows:
        assert float(calls) > 0 and errors == "0", (name, out.stdout)
