"""Generate N realistic Restate handler modules for timing `rea check` against `flake8`.

    python benchmarks/gen_handlers.py 2000 benchmarks/out
    time flake8 benchmarks/out                          # flake8 defaults (+ the REA plugin)
    time rea check --no-cache --jobs 2 benchmarks/out   # cold: every file analysed

Each module has a service and a virtual object, five handlers (some with replay mistakes:
clock reads, randomness, uuid4, a redundant idempotency key), helpers and a plain class,
about 90 lines, so both tools do real work on every file.
"""

from __future__ import annotations

import sys
from pathlib import Path

TEMPLATE = '''"""Generated handler module {i}."""

import random
import time
import uuid
from datetime import timedelta

import restate
from restate import Context, ObjectContext

orders_{i} = restate.VirtualObject("orders_{i}")
payments_{i} = restate.Service("payments_{i}")

TAX_RATE = 0.2{d}


def price_with_tax(amount: float) -> float:
    """A pure helper: fine anywhere."""
    return round(amount * (1 + TAX_RATE), 2)


class Ledger:
    def __init__(self) -> None:
        self.entries: list[tuple[str, float]] = []

    def add(self, name: str, amount: float) -> None:
        self.entries.append((name, amount))

    def total(self) -> float:
        return sum(amount for _, amount in self.entries)


@payments_{i}.handler()
async def charge(ctx: Context, amount: float) -> dict:
    stamp = {clock}
    ref = str({uid})
    await ctx.sleep(timedelta(seconds=1))
    return {{"amount": price_with_tax(amount), "at": stamp, "ref": ref}}


@payments_{i}.handler()
async def refund(ctx: Context, order_id: str) -> None:
    await ctx.service_call(charge, 1.0, idempotency_key={key})


@orders_{i}.handler()
async def add_item(ctx: ObjectContext, item: str) -> list:
    items = await ctx.get("items") or []
    items.append(item)
    if {roll} > 0.5:
        items.sort()
    ctx.set("items", items)
    return items


@orders_{i}.handler(kind="shared")
async def count(ctx: restate.ObjectSharedContext) -> int:
    items = await ctx.get("items") or []
    return len(items)


@orders_{i}.handler()
async def checkout(ctx: ObjectContext) -> dict:
    items = await ctx.get("items") or []
    ledger = Ledger()
    for n, item in enumerate(items):
        ledger.add(item, float(n))
    total = await ctx.run_typed("total", lambda: ledger.total() + time.time() * 0)
    receipt = await ctx.service_call(charge, total)
    ctx.clear("items")
    return {{"receipt": receipt, "count": len(items)}}


def report(values: list[float]) -> str:
    lines = []
    for v in values:
        if v < 0:
            lines.append(f"negative: {{v}}")
        elif v == 0:
            lines.append("zero")
        else:
            lines.append(f"{{v:.2f}}")
    return "\\n".join(lines)
'''


def module(i: int) -> str:
    bad = i % 3 == 0
    return TEMPLATE.format(
        i=i,
        d=i % 10,
        clock="time.time()" if bad else "await ctx.time()",
        uid="uuid.uuid4()" if i % 4 == 0 else "ctx.uuid()",
        key='f"refund-{ctx.uuid()}"' if i % 5 == 0 else 'f"refund-{order_id}"',
        roll="random.random()" if i % 2 == 0 else "ctx.random().random()",
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "benchmarks/out")
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (out / f"handlers_{i:04d}.py").write_text(module(i), encoding="utf-8")
    print(f"wrote {n} modules to {out}")


if __name__ == "__main__":
    main()
