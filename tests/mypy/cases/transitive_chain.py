"""Transitive findings: the linter's chain through this module's own functions, at the handler's call."""
import os
import time

import restate
from restate import Context

svc = restate.Service("chains")


def _stamp() -> float:
    return time.time()


def price_quote() -> float:
    return _stamp() * 2


def _region() -> str | None:
    return os.getenv("REGION")


def pure(n: int) -> int:
    return n + 1


@svc.handler()
async def quote(ctx: Context) -> float:
    price = price_quote()  # expect: REA101
    _region()  # expect: REA109
    pure(1)
    time_ok = await ctx.run_typed("quote", price_quote)  # inside a run action: fine
    silenced = _stamp()  # type: ignore[rea-time-in-handler]
    return price + time_ok + silenced
