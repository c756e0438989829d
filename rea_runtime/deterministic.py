"""Replay-safe stand-ins for random/uuid/clock helpers, built on the context's seeded sources.

`ctx.random()` is seeded from the invocation id and `ctx.uuid()` derives from it, so these give
the same answer on every replay; `now()` is journaled through `ctx.time()`.
"""

from __future__ import annotations

import uuid as _uuid
from datetime import datetime, timezone
from typing import Any, MutableSequence, Sequence, TypeVar

__all__ = ["choice", "sample", "shuffle", "uuid", "now", "idempotency_key", "NAMESPACE"]

T = TypeVar("T")
NAMESPACE = _uuid.UUID("6c0b1f0e-6f3a-5a57-9a57-7265612d6b65")


def choice(ctx: Any, seq: Sequence[T]) -> T:
    return ctx.random().choice(seq)


def sample(ctx: Any, population: Sequence[T], k: int) -> list[T]:
    return ctx.random().sample(population, k)


def shuffle(ctx: Any, items: MutableSequence[T]) -> MutableSequence[T]:
    """Shuffle in place (and return the list, for chaining)."""
    ctx.random().shuffle(items)
    return items


def uuid(ctx: Any) -> _uuid.UUID:
    return ctx.uuid()


async def now(ctx: Any) -> datetime:
    """The journaled wall clock as an aware UTC datetime."""
    return datetime.fromtimestamp(await ctx.time(), tz=timezone.utc)


def idempotency_key(*business_keys: object, namespace: str = "") -> str:
    """A key from business data (`"refund", order_id`): equal inputs, equal key, on any replica.

    Use it for calls that must dedupe across invocations (the journal already dedupes within one).
    """
    if not business_keys:
        raise ValueError("idempotency_key needs at least one business key")
    text = "\x1f".join([namespace, *(repr(k) if not isinstance(k, str) else k for k in business_keys)])
    return str(_uuid.uuid5(NAMESPACE, text))
