"""How an invocation ended, for misuse that used to be retried forever (or hang)."""

from __future__ import annotations

from typing import Any


async def terminal_failure(env: Any, service: str, handler: str, arg: Any = None, key: str | None = None,
                           timeout: float = 20.0) -> str:
    """The message the invocation failed with, once it failed for good.

    An invocation Restate keeps retrying, or one that never ends, fails the test with what the
    server knows of it, and is killed so that it does not retry for the rest of the session."""
    inv = await env.send(service, handler, arg, key)
    try:
        row = await env.wait_for(inv, lambda r: r["status"] in ("completed", "backing-off"), timeout=timeout)
    except AssertionError:
        env.kill(inv)
        raise
    if row["status"] != "completed":
        env.kill(inv)
        raise AssertionError(f"{service}/{handler} is retried: {row['last_failure']}")
    assert row["completion_result"] == "failure", row
    return str(row["completion_failure"])
