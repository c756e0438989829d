"""Helpers in another module: only types tell the plugin what these names are."""
import time
from datetime import datetime

import restate

now = datetime.now
monotonic = time.monotonic
counter = restate.VirtualObject("counter")


def stamp() -> float:
    return time.time()  # not handler code: no context here


def bump_shared(ctx: restate.ObjectSharedContext) -> None:
    ctx.set("n", 1)  # type: ignore[attr-defined]  # expect: REA202
