"""A run action that fails while v1 is deployed: the invocation retries with its journal
ending in that run's command, as an invocation whose step keeps failing (a downstream
outage) does when the new code is deployed."""

from __future__ import annotations

import os


def stall(value: str) -> str:
    if os.environ.get("REA_CORPUS", "v1") == "v1":
        raise RuntimeError(f"step {value!r} is parked until v2 is deployed")
    return value
