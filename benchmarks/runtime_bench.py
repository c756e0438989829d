"""The runtime section: guarded vs raw handlers on a real restate-server, and guard micro-costs.

Server: one restate-server (``rea_runtime.testing.RestateServer``: the harness's Docker-free
server) and three deployments, each served by hypercorn in its *own* process: the raw app never
imports rea_runtime, so its process pays nothing for the guards, exactly like a service that
does not use rea. The apps run the same Virtual Object handler (state read, a run action,
state write): the raw one and a second raw one, the control, on ``restate.VirtualObject``, the
guarded one on ``rea_runtime.VirtualObject`` (policy ``warn``). A closed-loop load generator
(httpx, N concurrent clients per app, one object key each) drives all three apps at once, in
many short windows: the neighbours of a shared machine, and restate-server's own pauses, fall
on every app alike within a window, which taking turns cannot give (one app's window then
measures a stall the other's missed: the last run that took turns gave per-round ratios from
0.13 to 1.06). Each window starts another app's clients first (the first to send gets ahead).
The throughput ratio is the median over the windows of the guarded app's invocations over the
raw app's; the control's, over the same raw app's, is what the measure gives between two
identical apps: its own spread, read beside the guards' figure. A request that gets no answer
in 30 s counts as an error of its app (restate-server on 2 shared cores stalls now and then). The app processes' CPU per invocation is read
from the kernel's per-thread scheduler clock (/proc/PID/task/*/schedstat, nanoseconds;
/proc/PID/stat counts 10 ms ticks, a few percent of a window's CPU).

Micro-benchmarks run in a separate process (the guards patch the stdlib process-wide):
the extra time a guarded stdlib function (``time.time`` ...) costs when no handler runs, and the
extra time a ``GuardedContext`` method costs over the SDK context's own method (measured on a
stand-in SDK context whose methods do nothing, so only rea's work is timed), alternating raw
and guarded loops. A stdlib call is timed in many short back-to-back raw/hooked pairs and the
median per-pair difference is its hook's cost: `uuid.uuid4()` is bound by a syscall whose
cost drifts by more than the hook's between whole-round loops.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.report import Section, Target, fmt, median

__all__ = ["bench_runtime"]

REPO = Path(__file__).resolve().parents[1]


# --- the app both sides serve ----------------------------------------------------------------


def _double(n: int) -> int:
    return n * 2


def _one() -> int:
    return 1


SERVICES = {"raw": "BenchRaw", "control": "BenchRawControl", "guarded": "BenchGuarded"}
"""The apps measured at once, by kind: the control is a second raw app (see the module doc)."""


def build_app(kind: str) -> Any:
    import restate

    if kind == "guarded":
        import rea_runtime

        obj = rea_runtime.VirtualObject(SERVICES[kind])
    else:
        obj = restate.VirtualObject(SERVICES[kind])

    @obj.handler()
    async def add(ctx, n: int) -> int:  # type: ignore[no-untyped-def]  # ctx unannotated: no eval of a local import
        count = await ctx.get("count", type_hint=int) or 0
        doubled = await ctx.run_typed("double", _double, n=n)
        ctx.set("count", count + doubled)
        return count + doubled

    return restate.app([obj])


def _serve(kind: str, port: int) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    asyncio.run(serve(build_app(kind), config, mode="asgi"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child before exec: no orphaned app if we are killed
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _start_app(kind: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), REA_POLICY="warn")
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.runtime_bench", "serve", kind, str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} app exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{kind} app did not listen on {port}")


async def _load(ingress: str, service: str, seconds: float, concurrency: int, tag: str) -> tuple[int, list[float], int]:
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(i: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        path = f"/{service}/{tag}-{i}/add"
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                resp = await client.post(path, content=b"1", headers={"content-type": "application/json"})
            except httpx.TransportError:  # a timeout or a dropped connection: an error of this app's count
                errors += 1
                continue
            if resp.status_code == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=ingress, timeout=30, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(i, client) for i in range(concurrency)))
        elapsed = time.perf_counter() - start
    return len(latencies), latencies, errors if elapsed > 0 else errors


CONCURRENCY = 64
"""Concurrent invocations in flight per app (issue 18: p99 guarded vs raw under at least 50)."""

WINDOW_S = 1.5
"""Seconds per window: the benchmark's measured time is cut into windows this long, in each of
which every app serves ~100 invocations or more on an idle machine."""


def windows(seconds: float, rounds: int) -> tuple[int, float]:
    """(windows, seconds each) for ``rounds`` rounds of ``seconds`` per app, as the benchmark took
    them in turns: the apps now run at once, for the time the turns of two apps took."""
    total = 2 * seconds * rounds
    n = max(rounds, int(total / WINDOW_S))
    return n, total / n


def server_throughput(seconds: float, rounds: int, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    """Every app of `SERVICES` under ``concurrency`` clients of its own, all at once, in
    ``rounds`` windows of ``seconds``: per app and window, invocations, CPU and latencies."""
    from rea_runtime.testing import RestateServer

    server = RestateServer().start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        pids = {}
        for kind in SERVICES:
            proc, url = _start_app(kind)
            procs.append(proc)
            server.register(url)
            pids[kind] = proc.pid
        result: dict[str, Any] = {k: {"throughput": [], "counts": [], "latencies": [], "errors": 0, "cpu_per_inv": [],
                                      "cpu": 0.0, "invocations": 0, "p50_rounds": [], "p99_rounds": []}
                                  for k in SERVICES}

        async def drive() -> None:
            # warm-up: connections, registration, JIT-less caches
            await asyncio.gather(*(_load(server.ingress_url, svc, min(1.0, seconds / 2), concurrency, "warm")
                                   for svc in SERVICES.values()))
            kinds = list(SERVICES)
            for r in range(rounds):
                # the app whose clients start first sends first, and gets ahead: each window
                # starts another one first
                order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
                cpu0 = {kind: _proc_cpu(pid) for kind, pid in pids.items()}
                t0 = time.perf_counter()
                loads = await asyncio.gather(*(_load(server.ingress_url, SERVICES[kind], seconds, concurrency, f"r{r}")
                                               for kind in order))
                elapsed = time.perf_counter() - t0
                for kind, (n, lat, errors) in zip(order, loads):
                    side = result[kind]
                    cpu = _proc_cpu(pids[kind]) - cpu0[kind]
                    side["counts"].append(n)
                    side["throughput"].append(n / elapsed)
                    side["cpu"] += cpu
                    side["invocations"] += n
                    if n:
                        side["cpu_per_inv"].append(cpu / n)
                    side["latencies"] += lat
                    side["p50_rounds"].append(_pct(lat, 0.5))
                    side["p99_rounds"].append(_pct(lat, 0.99))
                    side["errors"] += errors

        asyncio.run(drive())
        return result
    finally:
        for proc in procs:  # our own app processes: nothing to shut down gracefully
            proc.kill()
            proc.wait(10)
        server.stop()


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far: the sum of its threads' scheduler
    clocks (ns), else its tick counts from /proc (0.0 where there is none)."""
    total, found = 0, False
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
                    found = True
            except (OSError, ValueError, IndexError):
                continue  # a thread that ended: the app's are the loop's and the executor's, which live on
    except OSError:
        pass
    if found:
        return total / 1e9
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _over(a: float, b: float) -> float:
    """a / b, NaN where b is 0 or NaN (a kernel clock that could not be read)."""
    return a / b if b else float("nan")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# --- micro-benchmarks (run in their own process) -----------------------------------------------


_NO_ARG = object()


def _per_call_ns(fn: Any, n: int, arg: Any = _NO_ARG) -> float:
    """CPU time per call (this thread's: time spent preempted by the neighbours is not counted)."""
    if arg is _NO_ARG:
        t0 = time.thread_time_ns()
        for _ in range(n):
            fn()
    else:
        t0 = time.thread_time_ns()
        for _ in range(n):
            fn(arg)
    return (time.thread_time_ns() - t0) / n


STDLIB_CHUNK_NS = 4_000_000
"""CPU per timed chunk of one stdlib function, ~4 ms (a few scheduler ticks): the calls per chunk
follow from the raw call's cost, so a 3 µs `uuid.uuid4()` and a 60 ns `time.time()` are timed
over the same span."""


def _stdlib_pairs(raw: Any, hooked: Any, arg: Any, chunks: int) -> tuple[list[float], list[float]]:
    """Per-call CPU of the original and the hooked function in ``chunks`` back-to-back pairs of
    short loops (raw, hooked, raw, hooked ...). A syscall-bound call (`os.urandom` inside
    `uuid.uuid4()`) drifts with the kernel and the neighbours by more than the hook costs; a
    pair shares its moment, so the median of the per-pair differences is the hook's cost."""
    _per_call_ns(raw, 200, arg), _per_call_ns(hooked, 200, arg)  # warm both paths
    n = max(50, int(STDLIB_CHUNK_NS / max(_per_call_ns(raw, 2000, arg), 1.0)))
    pairs: tuple[list[float], list[float]] = ([], [])
    for _ in range(chunks):
        pairs[0].append(_per_call_ns(raw, n, arg))
        pairs[1].append(_per_call_ns(hooked, n, arg))
    return pairs


def _paired_extra(pair: "tuple[list[float], list[float]]") -> float:
    """Hooked minus original: the median over the pairs of the per-pair difference."""
    return median([g - r for r, g in zip(pair[0], pair[1])])


INVOCATION_CALLS = 50
"""Context calls per simulated invocation: the guards' per-invocation lists (futures to check
for REA204, `ctx.uuid()` values) are emptied after each batch, as they end with the invocation;
one unbounded list would time the garbage collector scanning it, not the guards."""


def _ctx_per_call_ns(call: Any, ctx: Any, inv: Any, n: int) -> float:
    """CPU time per context call, in batches of one simulated invocation each (the batch's
    cleanup is counted: freeing what the guards kept is part of their cost)."""
    batches = max(1, n // INVOCATION_CALLS)
    futures, uuids = inv.futures, inv.ctx_uuids
    t0 = time.thread_time_ns()
    for _ in range(batches):
        for _ in range(INVOCATION_CALLS):
            call(ctx)
        futures.clear()
        uuids.clear()
    return (time.thread_time_ns() - t0) / (batches * INVOCATION_CALLS)


def _extra(pair: "tuple[list[float], list[float]]") -> float:
    """Guarded minus raw, each side's least per-call time over the alternating rounds.

    Per-call costs are pure CPU: the least of several loops is the cost, the rest is load."""
    return min(pair[1]) - min(pair[0])


def micro(rounds: int, scale: float) -> dict[str, Any]:
    import random
    import uuid

    from benchmarks.profiles import profile_call

    # name -> (module, attribute, argument): looked up before and after the hooks go in
    targets = {"time.time()": (time, "time", _NO_ARG), "random.random()": (random, "random", _NO_ARG),
               "os.urandom(16)": (os, "urandom", 16), "uuid.uuid4()": (uuid, "uuid4", _NO_ARG)}
    raw = {k: getattr(mod, attr) for k, (mod, attr, _) in targets.items()}
    from rea_runtime import guards
    from rea_runtime.context import GuardedContext

    guards.install()
    hooked = {k: getattr(mod, attr) for k, (mod, attr, _) in targets.items()}
    assert all(hooked[k] is not raw[k] for k in raw), "the guards did not hook the stdlib"
    n = max(2000, int(200_000 * scale))
    chunks = max(3, int(40 * scale))
    stdlib: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in raw}
    for _ in range(rounds):
        for name, (_, _, arg) in targets.items():
            r, g = _stdlib_pairs(raw[name], hooked[name], arg, chunks)
            stdlib[name][0].extend(r)
            stdlib[name][1].extend(g)

    class Fut:
        pass

    fut, req, uid = Fut(), object(), uuid.UUID(int=7)

    class SdkContext:  # does nothing: only rea's own work is timed on the guarded side
        handler = None

        def get(self, name, *a, **k): return fut  # noqa: E704
        def set(self, name, value, *a, **k): return None  # noqa: E704
        def run(self, name, action, *a, **k): return fut  # noqa: E704
        def run_typed(self, name, action, *a, **k): return fut  # noqa: E704
        def time(self): return fut  # noqa: E704
        def sleep(self, *a, **k): return fut  # noqa: E704
        def service_call(self, *a, **k): return fut  # noqa: E704
        def object_send(self, *a, **k): return fut  # noqa: E704
        def key(self): return "k"  # noqa: E704
        def request(self): return req  # noqa: E704
        def uuid(self): return uid  # noqa: E704

    sdk = SdkContext()
    inv = guards.Invocation(sdk, "exclusive", None, "bench")
    gctx = GuardedContext(sdk, inv)

    # A service with a state budget (its preset's): every guarded set is measured. Here the
    # stand-in serializes as the SDK's `set` does, since the guarded side serializes (and
    # measures) the value itself and hands the SDK those bytes: for a plain JSON value with
    # `json.dumps`, where the SDK's serde gets after asking msgspec, pydantic and dataclasses;
    # a pydantic model (`set_budget_model`) takes the SDK's own serde on both sides, so that row
    # is rea's own work alone.
    import rea_runtime
    from restate.serde import DefaultSerde

    rea_runtime.VirtualObject("BenchBudget", preset=rea_runtime.preset("high-volume"))

    class Budgeted(SdkContext):
        class handler:  # noqa: N801 - what the guards read: ctx.handler.service_tag.name
            class service_tag:  # noqa: N801
                name = "BenchBudget"

        def set(self, name, value, serde=DefaultSerde(), entry_name=None):  # type: ignore[no-untyped-def]
            if isinstance(serde, DefaultSerde):
                serde = serde.with_maybe_type(type(value))
            serde.serialize(value)

    sdk_b = Budgeted()
    inv_b = guards.Invocation(sdk_b, "exclusive", None, "bench")
    gctx_b = GuardedContext(sdk_b, inv_b)
    cart = {"items": [{"sku": "A-1", "qty": 2}], "total": 19.5}
    import pydantic

    class Cart(pydantic.BaseModel):
        items: list[dict]
        total: float

    cart_model = Cart(**cart)
    from datetime import timedelta

    # Calls target registered handlers (the guarded context refuses anything else: the SDK
    # cannot call it), of the kind each method calls (no REA210 on the way).
    import restate

    targets_svc, targets_obj = restate.Service("BenchTargets"), restate.VirtualObject("BenchObjects")

    @targets_svc.handler()
    async def double(ctx, n: int) -> int:  # type: ignore[no-untyped-def]
        return n * 2

    @targets_obj.handler()
    async def add(ctx, n: int) -> int:  # type: ignore[no-untyped-def]
        return n

    delta = timedelta(seconds=1)
    calls = {
        "get": lambda c: c.get("count"),
        "set": lambda c: c.set("count", 1),
        "run": lambda c: c.run("one", _one),
        "run_typed": lambda c: c.run_typed("double", _double, n=1),
        "time": lambda c: c.time(),
        "sleep": lambda c: c.sleep(delta),
        "service_call": lambda c: c.service_call(double, arg=1),
        "object_send": lambda c: c.object_send(add, key="k", arg=1),
        "key": lambda c: c.key(),
        "request": lambda c: c.request(),
        "uuid": lambda c: c.uuid(),
        "set_budget": lambda c: (gctx_b if c is gctx else sdk_b).set("cart", cart),
        "set_budget_model": lambda c: (gctx_b if c is gctx else sdk_b).set("cart", cart_model),
    }
    m = max(1000, int(50_000 * scale))
    ctxcalls: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in calls}
    token = guards.CURRENT.set(inv)  # as inside a handler
    try:
        for _ in range(rounds):
            for name, call in calls.items():
                ctxcalls[name][0].append(_ctx_per_call_ns(call, sdk, inv, m))
                ctxcalls[name][1].append(_ctx_per_call_ns(call, gctx, inv, m))
        worst = max(calls, key=lambda k: _extra(ctxcalls[k]))

        def profiled() -> None:
            for _ in range(m):
                calls[worst](gctx)
            inv.futures.clear()

        profile = profile_call(profiled, top=15, sort="tottime")

        def handler_calls() -> None:  # what the benchmark handler asks of its context
            for _ in range(m):
                gctx.get("count", type_hint=int)
                gctx.run_typed("double", _double, n=1)
                gctx.set("count", 2)
            inv.futures.clear()

        handler_profile = profile_call(handler_calls, top=15, sort="tottime")
    finally:
        guards.CURRENT.reset(token)
    worst_std = max(stdlib, key=lambda k: _paired_extra(stdlib[k]))
    worst_fn, worst_arg = hooked[worst_std], targets[worst_std][2]
    std_profile = profile_call(lambda: _per_call_ns(worst_fn, n, worst_arg), top=10, sort="tottime")
    return {"stdlib": stdlib, "ctx": ctxcalls, "ctx_profile": profile, "ctx_worst": worst,
            "handler_profile": handler_profile,
            "stdlib_profile": std_profile, "stdlib_worst": worst_std}


def _run_micro(rounds: int, scale: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(REPO), REA_POLICY="warn")
    out = subprocess.run([sys.executable, "-m", "benchmarks.runtime_bench", "micro", str(rounds), str(scale)],
                         env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"micro-benchmarks failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the section ------------------------------------------------------------------------------


def bench_runtime(seconds: float, rounds: int, smoke: bool = False) -> Section:
    import importlib.util

    sec = Section("Runtime guards")
    if importlib.util.find_spec("rea_runtime.guards") is None:
        sec.available = False
        sec.unavailable_reason = "the runtime guards and test harness (branch runtime) are not on main yet"
        for name, goal, op, unit in (
            ("guarded / raw handler throughput on restate-server", 0.97, ">=", "x"),
            ("guard overhead per context call (worst method)", 2.0, "<=", "µs"),
            ("guard overhead per guarded stdlib call outside handlers (worst)", 200, "<=", "ns"),
        ):
            sec.targets.append(Target(name, goal, op, unit, None, reason=sec.unavailable_reason))
        return sec
    sec.columns = ["measure", "raw", "guarded", "guarded / raw", "overhead"]

    # the real server ---------------------------------------------------------------------------
    thr = Target("guarded / raw handler throughput on restate-server", 0.97, ">=", "x")
    t_p99: Target | None = None
    try:
        rounds, seconds = windows(seconds, rounds) if not smoke else (1, seconds)
        res = server_throughput(seconds, rounds)
        raw, grd, ctl = res["raw"], res["guarded"], res["control"]
        # the apps served in the same windows: per window, the ratio of their invocations; the
        # median over the windows, as one window can stall for seconds on 2 shared cores
        ratios = [g / r for r, g in zip(raw["counts"], grd["counts"]) if r > 0]
        control_ratios = [c / r for r, c in zip(raw["counts"], ctl["counts"]) if r > 0]
        thr.value = median(ratios) if ratios else None
        control = median(control_ratios) if control_ratios else None
        if not raw["invocations"]:
            thr.reason = (f"no raw invocation completed in {len(raw['counts'])} windows of {seconds:g} s "
                          f"({len(raw['latencies'])} raw, {len(grd['latencies'])} guarded): the machine was too loaded")
        # CPU per invocation over all windows of an app (total CPU / total invocations): a window's
        # own figure moves with the neighbours' cache pressure; the totals average it out
        cpu = {k: (res[k]["cpu"] / res[k]["invocations"] if res[k]["invocations"] else float("nan")) for k in res}
        cpu_raw, cpu_grd, cpu_ctl = cpu["raw"], cpu["guarded"], cpu["control"]
        thr.how = (f"the median over {len(ratios)} windows of {seconds:g} s of the guarded app's invocations over the raw "
                   f"app's, both served at once by the same restate-server, {CONCURRENCY} concurrent clients each "
                   f"(per window: {', '.join(fmt(x, 3) for x in ratios)}; over all windows at once "
                   f"{fmt(_over(grd['invocations'], raw['invocations']), 3)}). The control, a second raw app served in "
                   f"the same windows, over the raw app: {fmt(control, 3)} (per window: "
                   f"{', '.join(fmt(x, 3) for x in control_ratios)}), the spread of this measure between two "
                   f"identical apps. The app processes' CPU per invocation gives {fmt(_over(cpu_raw, cpu_grd), 3)} as the "
                   f"ratio an app-bound deployment would see ({fmt(_over(cpu_raw, cpu_ctl), 3)} for the control; "
                   "restate-server and the load generator share the same 2 cores here).")
        # The p99 ratio is the median of the windows' ratios: on 2 shared cores one window can stall
        # for seconds, and a p99 over all windows at once is then that stall's.
        p99_rounds = [g / r for r, g in zip(raw["p99_rounds"], grd["p99_rounds"]) if r > 0 and g == g]  # (NaN: no answer)
        p99 = median(p99_rounds) if p99_rounds else None
        pooled_raw, pooled_grd = _pct(raw["latencies"], 0.99), _pct(grd["latencies"], 0.99)
        sec.rows += [
            ["throughput (invocations/s, median of windows)", fmt(median(raw["throughput"]), 1),
             fmt(median(grd["throughput"]), 1), fmt(thr.value, 3),
             f"control (a second raw app) / raw: {fmt(control, 3)}"],
            ["latency p50 (ms)", fmt(_pct(raw["latencies"], 0.5) * 1e3), fmt(_pct(grd["latencies"], 0.5) * 1e3),
             fmt(_pct(grd["latencies"], 0.5) / _pct(raw["latencies"], 0.5), 3), ""],
            ["latency p99 (ms, median of windows)", fmt(median(raw["p99_rounds"]) * 1e3), fmt(median(grd["p99_rounds"]) * 1e3),
             fmt(p99, 3), f"over all windows at once: {fmt(pooled_raw * 1e3)} / {fmt(pooled_grd * 1e3)} ms"],
            ["app process CPU per invocation (ms, all windows)", fmt(cpu_raw * 1e3, 3), fmt(cpu_grd * 1e3, 3),
             fmt(_over(cpu_grd, cpu_raw), 3),
             f"{(cpu_grd - cpu_raw) * 1e6:.0f} µs; control {fmt(cpu_ctl * 1e3, 3)} ms"],
            ["invocations (errors)", f"{len(raw['latencies'])} ({raw['errors']})",
             f"{len(grd['latencies'])} ({grd['errors']})", "", f"control {len(ctl['latencies'])} ({ctl['errors']})"],
        ]
        t_p99 = Target(f"guarded / raw p99 latency, {CONCURRENCY} concurrent invocations", 1.10, "<=", "x", p99,
                       how=f"median over the windows of each window's guarded p99 / raw p99 (per window: "
                           f"{', '.join(fmt(x, 3) for x in p99_rounds)}); {len(raw['latencies'])} raw and "
                           f"{len(grd['latencies'])} guarded invocations. The p99 of all windows' invocations at once is "
                           f"{fmt(_over(pooled_grd, pooled_raw), 3)}x ({fmt(pooled_raw * 1e3)} ms raw, {fmt(pooled_grd * 1e3)} ms "
                           "guarded): one stalled window sets that figure alone.")
        if t_p99.status == "not available yet":
            t_p99.reason = (f"no latency on one side ({len(raw['latencies'])} raw, {len(grd['latencies'])} guarded "
                            "invocations completed): the machine was too loaded for the window")
        if t_p99.status == "MISSED":
            t_p99.reason = ("the tail is set by restate-server and the load generator sharing 2 cores with the app; "
                            "the guards' per-invocation work is profiled under the throughput target.")
            t_p99.profile = "__HANDLER_PROFILE__"
        sec.data = {"throughput": (median(raw["throughput"]), median(grd["throughput"]), median(ctl["throughput"])),
                    "p50_ms": (_pct(raw["latencies"], 0.5) * 1e3, _pct(grd["latencies"], 0.5) * 1e3),
                    "p99_ms": (median(raw["p99_rounds"]) * 1e3, median(grd["p99_rounds"]) * 1e3),
                    "concurrency": CONCURRENCY,
                    # added for the targets table (the keys above are what the plot draws): ratios are
                    # guarded / raw, pairs are (raw, guarded), lists run over the windows
                    "throughput_ratio": thr.value, "throughput_ratio_rounds": ratios,
                    "control_ratio": control, "control_ratio_rounds": control_ratios,
                    "throughput_rounds": (raw["throughput"], grd["throughput"]),
                    "p50_ratio": _pct(grd["latencies"], 0.5) / _pct(raw["latencies"], 0.5),
                    "p99_ratio": p99, "p99_ratio_rounds": p99_rounds, "p99_ms_pooled": (pooled_raw * 1e3, pooled_grd * 1e3),
                    "p50_ms_rounds": ([x * 1e3 for x in raw["p50_rounds"]], [x * 1e3 for x in grd["p50_rounds"]]),
                    "p99_ms_rounds": ([x * 1e3 for x in raw["p99_rounds"]], [x * 1e3 for x in grd["p99_rounds"]]),
                    "cpu_per_invocation_ms": (cpu_raw * 1e3, cpu_grd * 1e3), "control_cpu_per_invocation_ms": cpu_ctl * 1e3,
                    "invocations": (len(raw["latencies"]), len(grd["latencies"])),
                    "errors": (raw["errors"], grd["errors"]),
                    "rounds": len(ratios), "seconds_per_round": seconds}
        if thr.status == "MISSED":
            extra = (cpu_grd - cpu_raw) * 1e3
            thr.reason = (
                f"Per invocation the guarded app process used {extra:+.3f} ms of CPU more than the raw one "
                f"({fmt(cpu_grd * 1e3, 3)} vs {fmt(cpu_raw * 1e3, 3)} ms), "
                f"against a median latency of {fmt(_pct(raw['latencies'], 0.5) * 1e3)} ms, most of it spent in "
                f"restate-server. Per-window throughput ratios: {', '.join(fmt(x, 3) for x in ratios)}. Two "
                f"identical raw apps measured the same way, in the same windows, gave {fmt(control, 3)} (per window "
                f"{', '.join(fmt(x, 3) for x in control_ratios)}): " + (
                    "identical apps strayed from 1 as far as the guards did, so this run cannot tell the guards' "
                    "cost from the measure's own spread. " if control is not None and thr.value is not None and abs(1 - control) >= 1 - thr.value
                    else "the guarded app strayed further from 1 than the control. ") +
                "The guards' work in this handler (get, run_typed, set), profiled:"
            )
            thr.profile = "__HANDLER_PROFILE__"
        if raw["errors"] or grd["errors"] or ctl["errors"]:
            sec.notes.append("some requests failed (a non-200 answer, or none within 30 s): see the errors row.")
    except Exception as err:  # noqa: BLE001 - a missing server must not hide the micro-benchmarks
        thr.reason = f"the real-server benchmark could not run: {type(err).__name__}: {err}"[:600]
        sec.notes.append(thr.reason)
    sec.targets.append(thr)
    if t_p99 is not None:
        sec.targets.append(t_p99)

    # micro ---------------------------------------------------------------------------------------
    data = _run_micro(rounds=3 if smoke else 7, scale=0.05 if smoke else 1.0)
    ctx = {k: _extra(v) for k, v in data["ctx"].items()}
    std = {k: _paired_extra(v) for k, v in data["stdlib"].items()}
    for t in (thr, t_p99):
        if t is not None and t.profile == "__HANDLER_PROFILE__":
            t.profile = data["handler_profile"]
    for name, ns in ctx.items():
        raw_ns, grd_ns = min(data["ctx"][name][0]), min(data["ctx"][name][1])
        label = {"set_budget": "ctx.set() under a state budget",
                 "set_budget_model": "ctx.set() of a pydantic model under a state budget"}.get(name, f"ctx.{name}()")
        sec.rows.append([f"{label} per call (µs; stand-in SDK context)", f"{raw_ns / 1000:.2f}",
                         f"{grd_ns / 1000:.2f}", fmt(grd_ns / raw_ns, 2), f"{ns / 1000:.2f} µs"])
    for name, ns in std.items():
        raw_ns, grd_ns = median(data["stdlib"][name][0]), median(data["stdlib"][name][1])
        sec.rows.append([f"{name} outside handlers (ns per call, median of {len(data['stdlib'][name][0])} pairs)",
                         f"{raw_ns:.0f}", f"{grd_ns:.0f}", fmt(grd_ns / raw_ns, 2), f"{ns:.0f} ns"])
    worst_ctx = data["ctx_worst"]
    t_ctx = Target("guard overhead per context call (worst method)", 2.0, "<=", "µs", ctx[worst_ctx] / 1000,
                   how=f"worst: `{worst_ctx}`; median over the methods "
                       f"{median(list(ctx.values())) / 1000:.2f} µs; guarded minus raw per call, least of the alternating rounds.")
    if t_ctx.status == "MISSED":
        t_ctx.reason = f"`GuardedContext.{worst_ctx}` costs {ctx[worst_ctx] / 1000:.2f} µs over the SDK's own call. Profile (tottime) of the guarded call:"
        t_ctx.profile = data["ctx_profile"]
    worst_std = data["stdlib_worst"]
    t_std = Target("guard overhead per guarded stdlib call outside handlers (worst)", 200, "<=", "ns", max(std[worst_std], 0.001),
                   how=f"worst: `{worst_std}`; hooked minus original per call with no handler running: the median over "
                       f"{len(data['stdlib'][worst_std][0])} back-to-back pairs of ~{STDLIB_CHUNK_NS / 1e6:.0f} ms loops "
                       f"(per call: {', '.join(f'{k} {v:.0f} ns' for k, v in std.items())}).")
    if t_std.status == "MISSED":
        t_std.reason = f"the hook on `{worst_std}` costs {std[worst_std]:.0f} ns when no handler runs. Profile (tottime):"
        t_std.profile = data["stdlib_profile"]
    sec.targets += [t_ctx, t_std]
    if sec.data:  # the plot needs the server's figures; these ride along with them
        sec.data.update({"ctx_overhead_us": {k: v / 1000 for k, v in ctx.items()}, "ctx_worst": worst_ctx,
                         "stdlib_overhead_ns": std, "stdlib_worst": worst_std})
    return sec


def compare(old_root: str, new_root: str, rounds: int, scale: float) -> str:
    """A/B of two source trees' guards: this file's micro-benchmarks run on each tree's
    rea_runtime, alternately (A B A B ...) in one run; per method, the median over the rounds of
    the extra CPU per call, and new / old. For a change to the guards:
    ``git worktree add /tmp/old main && python -m benchmarks.runtime_bench compare /tmp/old .``"""
    import statistics

    extra: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(rounds):
        for side, root in (("old", old_root), ("new", new_root)):
            env = dict(os.environ, PYTHONPATH=str(Path(root).resolve()), REA_POLICY="warn")
            # two loops each: the least drops the first call's imports
            run_this_file = ("import runpy, sys; sys.argv = [sys.argv[0], 'micro', '2', %r]; "
                             "runpy.run_path(%r, run_name='__main__')" % (str(scale), __file__))
            out = subprocess.run([sys.executable, "-c", run_this_file], env=env, cwd=root,
                                 capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                raise SystemExit(f"micro-benchmarks failed on {root}: {out.stderr[-3000:]}")
            data = json.loads(out.stdout.strip().splitlines()[-1])
            extra[side].append({**{k: _extra(v) for k, v in data["ctx"].items()},
                                **{k: _paired_extra(v) for k, v in data["stdlib"].items()}})
    lines = [f"{'call':18} {'old ns':>8} {'new ns':>8} {'new/old':>8}   (extra CPU per call over the SDK's/stdlib's own; "
             f"median of {rounds} alternating rounds)"]
    for k in extra["old"][0]:
        o = statistics.median(r[k] for r in extra["old"])
        n = statistics.median(r[k] for r in extra["new"])
        lines.append(f"{k:18} {o:8.0f} {n:8.0f} {n / o if o > 0 else float('nan'):8.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        _serve(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "micro":
        print(json.dumps(micro(int(sys.argv[2]), float(sys.argv[3]))))
    elif sys.argv[1] == "compare":
        import argparse

        ap = argparse.ArgumentParser(prog="python -m benchmarks.runtime_bench compare",
                                     description=compare.__doc__)
        ap.add_argument("old_root")
        ap.add_argument("new_root", nargs="?", default=str(REPO))
        ap.add_argument("--rounds", type=int, default=5)
        ap.add_argument("--scale", type=float, default=0.2)
        a = ap.parse_args(sys.argv[2:])
        print(compare(a.old_root, a.new_root, a.rounds, a.scale))
