"""``python -m examples.booking``: start a restate-server (the test harness's), deploy the
booking service, book one trip whose payment is declined, print what happened, tear down."""

from __future__ import annotations

import asyncio
import json

from rea_runtime.testing import Harness

from .service import LOG, app


async def _book(env) -> dict:
    resp = await env.call("Booking", "book", {"traveller": "ada", "decline_payment": True}, key="ada-trip-1")
    resp.raise_for_status()
    return resp.json()


def main() -> None:
    print("starting restate-server and the Booking service ...")
    with Harness() as harness, harness.deploy(app) as env:
        outcome = asyncio.run(_book(env))
        problems = asyncio.run(env.call("Booking", "problems", key="ada-trip-1")).json()
    print("\nwhat the providers saw, in order:")
    for line in LOG:
        print(f"  - {line}")
    print("\nthe handler's answer:")
    print("  " + json.dumps(outcome, indent=2).replace("\n", "\n  "))
    print(f"\ndead letters: {problems or 'none'}")


if __name__ == "__main__":
    main()
