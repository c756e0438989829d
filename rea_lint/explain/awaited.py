"""A 570 on an `await` that cannot be replayed: which awakeable, and where the code awaits it.

While it still has recorded commands to replay, restate-sdk's shared core cannot pass an
`await` whose completion the journal does not hold: "'await' could not be replayed ...
Notifications awaited on this await point: - Awakeable sign_1...". The message names no index
and the SDK's traceback no frame of the handler, only what was awaited. An awakeable's id ends
in its signal index, four bytes big-endian after the invocation's id: an invocation's first
`ctx.awakeable()` is 17, its second 18 (observed on restate-server 1.7.12 with restate-sdk
1.3.0). So the id names which allocation of the handler's code it was, and the `await` of that
allocation's promise is the line.
"""

from __future__ import annotations

import ast
import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path

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
    line, text, why = _await_of(op)
    if line is None:
        return Awaited(number, op, undecided=why)
    return Awaited(number, op, f"{op.path}:{line}", text)


def _await_of(op: Op) -> tuple[int | None, str, str]:
    """The one `await <promise>` of the promise bound where ``op`` is called (`name, promise =
    ctx.awakeable()`), in the function that binds it."""
    try:
        tree = ast.parse(Path(op.path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None, "", f"{op.path} cannot be read again"
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for stmt in ast.walk(fn):
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.Call)
                    and (stmt.value.lineno, stmt.value.col_offset) == (op.line, op.col)):
                continue
            target = stmt.targets[0]
            if not (isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2 and isinstance(target.elts[1], ast.Name)):
                return None, "", f"its promise is not bound to a name there (`{ast.unparse(target)} = ...`)"
            name = target.elts[1].id
            stores = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)]
            waits = [n for n in ast.walk(fn) if isinstance(n, ast.Await) and isinstance(n.value, ast.Name) and n.value.id == name]
            if len(stores) != 1:
                return None, "", f"`{name}` is bound more than once in `{fn.name}`"
            if len(waits) != 1:
                return None, "", (f"`{name}` is awaited {len(waits)} times in `{fn.name}`" if waits else
                                  f"`{fn.name}` awaits `{name}` only through other code (passed on, or in a select)")
            return waits[0].lineno, ast.unparse(waits[0]), ""
    return None, "", "the call is not an assignment of the awakeable's id and promise"
