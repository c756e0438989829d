"""A 570 on an `await` that cannot be replayed: which awakeable, and where the code awaits it.

While it still has recorded commands to replay, restate-sdk's shared core cannot pass an
`await` whose completion the journal does not hold: "'await' could not be replayed ...
Notifications awaited on this await point: - Awakeable sign_1...". The message names no index
and the SDK's traceback no frame of the handler, only what was awaited. An awakeable's id ends
in its signal index, four bytes big-endian after the invocation's id: an invocation's first
`ctx.awakeable()` is 17, its second 18 (observed on restate-server 1.7.12 with restate-sdk
1.3.0). So the id names which allocation of the handler's code it was, and the `await` of that
allocation's promise (the shape's `WAIT`) is the line.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from rea_lint.journal.ops import Op, OpKind, ordinal
from rea_lint.journal.paths import TooManyPaths, enumerate_paths
from rea_lint.journal.shape import HandlerShape

__all__ = ["Awaited", "awaited", "awakeable_number"]

FIRST_AWAKEABLE = 17
"""The signal index of an invocation's first awakeable (1 to 16 are the SDK's own signals)."""
_AWAKEABLE = re.compile(r"^Awakeable (sign_1[A-Za-z0-9_-]+)")


def awakeable_number(notification: str) -> int | None:
    """1 for an invocation's first `ctx.awakeable()`, 2 for its second, ...: from a notification
    line of the message (``Awakeable sign_1...``); None for anything else (`Cancellation`)."""
    found = _AWAKEABLE.match(notification.strip())
    if found is None:
        return None
    data = found.group(1)[len("sign_1"):]
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 4:
        return None
    index = int.from_bytes(raw[-4:], "big")
    return index - FIRST_AWAKEABLE + 1 if index >= FIRST_AWAKEABLE else None


@dataclass(frozen=True)
class Awaited:
    number: int
    """Which `ctx.awakeable()` of the invocation (1: its first)."""
    made: Op | None = None
    """The `ctx.awakeable()` call that made it, where every way through the code agrees."""
    at: str = ""
    """`path:line` of the one `await` of its promise, if found."""
    text: str = ""
    """That `await` as written."""
    undecided: str = ""
    """Why there is no line, when there is none."""


def awaited(shape: HandlerShape, notifications: list[str]) -> Awaited | None:
    """The awakeable the await waited on and the line that awaits it (None: the message names
    no awakeable)."""
    numbers = [n for n in map(awakeable_number, notifications) if n is not None]
    if not numbers:
        return None
    if len(set(numbers)) > 1:  # (a select over several: the journal does not say which one stalled)
        return Awaited(numbers[0], undecided=f"the await waited on {len(set(numbers))} awakeables at once")
    number = numbers[0]
    nth = ordinal(number)
    try:
        paths = enumerate_paths(shape.shape)
    except TooManyPaths:
        return Awaited(number, undecided="the handler's branches and loops are too many to count its awakeables")
    made = {}
    for path in paths:
        ops = [e for e in path.events if isinstance(e, Op) and e.kind is OpKind.AWAKEABLE]
        if len(ops) >= number:
            op = ops[number - 1]
            made[(op.path, op.line, op.col)] = op
    if len(made) != 1:
        where = ", ".join(f"{o.where()} `{o.text}`" for o in made.values())
        return Awaited(number, undecided=(f"no way through the current code makes a {nth} awakeable" if not made else
                                          f"the {nth} awakeable is made at {where}, depending on the way taken"))
    op = next(iter(made.values()))
    # (the shape has each `await p` of `_, p = ctx.awakeable()` as a `WAIT` placing its `ctx.awakeable()`)
    waits = {(w.path, w.line, w.col): w for w in shape.ops()
             if w.kind is OpKind.WAIT and w.get("awakeable").literal == (op.path, op.line, op.col)}
    if len(waits) != 1:
        if not waits:
            return Awaited(number, op, undecided=(f"`{shape.function}` awaits its promise only through other code (passed on, "
                                                  "or in a select), if at all"))
        name = next(iter(waits.values())).text.removeprefix("await ")
        return Awaited(number, op, undecided=f"`{name}` is awaited {len(waits)} times in `{shape.function}`")
    wait = next(iter(waits.values()))
    return Awaited(number, op, wait.where(), wait.text)
