"""Load through the durable circuit breaker vs the same run without it, on a real restate-server.

    python -m benchmarks.breaker_load [--seconds 5] [--concurrency 32] [--shards 1 8]

One restate-server (the harness's, no Docker) and one deployment served by hypercorn. A
closed-loop load generator (httpx, N concurrent clients) drives, in turn: ``direct`` (a handler
doing one `ctx.run`), and ``breaker/<n>`` (the same action through a `CircuitBreaker` with n
shards: every call adds an `acquire` and a `record` call to the breaker's Virtual Object). It
prints calls/s, p50 and p99 per side. The dependency always answers, so what is measured is the
breaker's own cost and whether one object key per dependency becomes the bottleneck (exclusive
handlers run one at a time per key; shards spread the calls over several keys).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import timedelta
from typing import Any

import restate

import rea_runtime
from rea_runtime.breaker import CircuitBreaker, breaker_object


def _answer(n: int) -> int:
    return n + 1


def build_app(shard_counts: list[int]) -> Any:
    svc = rea_runtime.Service("BreakerLoad")

    @svc.handler()
    async def direct(ctx: restate.Context, n: int) -> int:
        return await ctx.run_typed("dependency", _answer, n=n)

    breakers = {s: CircuitBreaker("load-dep", shards=s, cooldown=timedelta(seconds=30)) for s in shard_counts}

    @svc.handler()
    async def through(ctx: restate.Context, req: dict) -> int:
        return await breakers[req["shards"]].run(ctx, "dependency", _answer, req["n"])

    return rea_runtime.app([svc, breaker_object])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _load(env: Any, handler: str, body: Any, seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: Any) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            resp = await env.call("BreakerLoad", handler, body, client=client)
            if resp.status_code == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1

    async with env.client() as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"calls_per_s": len(latencies) / elapsed, "p50_ms": _pct(latencies, 0.5) * 1000,
            "p99_ms": _pct(latencies, 0.99) * 1000, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.breaker_load", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=5.0, help="seconds per side (default 5)")
    p.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    p.add_argument("--shards", type=int, nargs="+", default=[1, 8], help="shard counts to measure (default 1 8)")
    args = p.parse_args(argv)

    from rea_runtime.testing.harness import Harness

    rea_runtime.configure(policy="disabled")  # measure the breaker, not the guards' logging
    harness = Harness()
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        with harness.deploy(build_app(args.shards)) as env:
            async def drive() -> None:
                await _load(env, "direct", 0, min(1.0, args.seconds), 4)  # warm-up
                rows.append(("direct", await _load(env, "direct", 1, args.seconds, args.concurrency)))
                for s in args.shards:
                    rows.append((f"breaker/{s} shard{'s' if s > 1 else ''}",
                                 await _load(env, "through", {"shards": s, "n": 1}, args.seconds, args.concurrency)))

            asyncio.run(drive())
    finally:
        harness.close()
    direct = rows[0][1]["calls_per_s"]
    print(f"{'side':<18} {'calls/s':>9} {'vs direct':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in rows:
        ratio = f"{r['calls_per_s'] / direct:>9.2f}x" if direct else f"{'n/a':>10}"
        print(f"{name:<18} {r['calls_per_s']:>9.1f} {ratio} "
              f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {int(r['errors']):>7}")
    if not direct:
        print(f"breaker_load: no direct call succeeded ({int(rows[0][1]['errors'])} errors), so there is "
              "no baseline; rerun with more --seconds or fewer --concurrency", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
