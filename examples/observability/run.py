"""One command: `python examples/observability/run.py` (needs `pip install -e '.[runtime]'`).

Starts a real restate-server (always-replay, so every await suspends and replays), serves the
instrumented app, places three orders through rea's ingress, and prints the metrics.
"""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

sys.path.insert(0, os.path.dirname(__file__))

from app import app, place  # noqa: E402

from rea_runtime.ingress import connect  # noqa: E402
from rea_runtime.testing import Harness  # noqa: E402


async def main() -> None:
    with Harness() as harness, harness.deploy(app, always_replay=True) as env:
        async with connect(env.ingress_url) as ingress:
            for n in range(3):
                print("->", await ingress.call(place, f"sku-{n}", key="alice"))
        metrics = httpx.get(f"{env.app_server.url}/metrics").text
        print("\n".join(line for line in metrics.splitlines() if line.startswith("rea_")))
        print(f"\n(app served at {env.app_server.url}, metrics at {env.app_server.url}/metrics)")


if __name__ == "__main__":
    asyncio.run(main())
