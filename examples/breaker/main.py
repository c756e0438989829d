"""A flaky dependency behind a durable circuit breaker, on a real restate-server.

Run: .venv/bin/python examples/breaker/main.py   (starts restate-server via rea's harness,
serves this app, and drives it: transient failures are retried, then counted and open the
breaker, calls fail fast, the cool-down half-opens it, a success closes it).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import restate

import rea_runtime
from rea_runtime.breaker import CircuitBreaker, breaker_object
from rea_runtime.testing.harness import Harness

DOWN = {"value": True}
PRICES = CircuitBreaker("prices-api", failure_threshold=3, cooldown=timedelta(seconds=2))


def fetch_price(sku: str) -> int:
    """The flaky dependency (an HTTP call in real life)."""
    if DOWN["value"]:
        raise RuntimeError("prices-api: 503 Service Unavailable")
    return 42


shop = rea_runtime.Service("Shop", preset="production")


@shop.handler()
async def price(ctx: restate.Context, sku: str) -> int:
    return await PRICES.run(ctx, "fetch price", fetch_price, sku)


app = rea_runtime.app([shop, breaker_object])


async def drive(env) -> None:  # noqa: ANN001
    async def show(label: str) -> None:
        resp = await env.call("Shop", "price", "sku-1")
        state = (await env.call("CircuitBreaker", "status", key="prices-api")).json()
        print(f"{label:<28} -> {resp.status_code} {resp.text[:70]!s:<72} breaker={state['state']} failures={state['failures']}")

    # Each admitted call retries the blip inside its run (3 attempts) before it counts once; the
    # call goes through the breaker again until the third counted failure opens it.
    await show("dependency down: retried")
    await show("breaker open: fails fast")
    await asyncio.sleep(2.2)
    DOWN["value"] = False
    await show("after cool-down (trial)")
    await show("closed again")


def main() -> None:
    harness = Harness()
    try:
        with harness.deploy(app) as env:
            asyncio.run(drive(env))
    finally:
        harness.close()


if __name__ == "__main__":
    main()
