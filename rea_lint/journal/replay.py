"""From a recorded journal index back to the source: which operation of the current code is
at that position, along the paths that agree with what was recorded before it.

`rea explain` hands in what it knows of the journal (from the server's introspection API:
each entry's command and the fields it can read; from a 570 message alone: nothing but the
index) and gets the operation(s) there. It never guesses: when the consistent paths put
different operations there, or meet an unknown first, the answer says so and names none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from rea_lint.journal.ops import COMMAND_NAMES, Op, OpKind
from rea_lint.journal.paths import TooManyPaths, enumerate_paths
from rea_lint.journal.shape import HandlerShape, Unknown

__all__ = ["Location", "Recorded", "kinds_of_command", "locate"]


def kinds_of_command(name: str) -> frozenset[OpKind]:
    """The operation kinds a command name denotes, as the server and shared core print them
    (`run`, `call`, `one way call/send`, `get state`, `Run`, `RunCommand`, `OneWayCall` ...)."""
    key = name.strip().strip("'\"").lower().replace("_", "").replace(" ", "")
    for suffix in ("commandmessage", "command", "entry"):
        if key.endswith(suffix) and key != suffix:
            key = key[: -len(suffix)]
    extra = {
        "onewaycall": {OpKind.SEND},
        "onewaycall/send": {OpKind.SEND},
        "invoke": {OpKind.CALL},
        "backgroundinvoke": {OpKind.SEND},
        "getlazystate": {OpKind.GET_STATE},
        "geteagerstate": {OpKind.GET_STATE},
        "getlazystatekeys": {OpKind.STATE_KEYS},
        "geteagerstatekeys": {OpKind.STATE_KEYS},
        "getstatekeys": {OpKind.STATE_KEYS},
        "clearallstate": {OpKind.CLEAR_ALL_STATE},
        "sendsignal": {OpKind.SEND_SIGNAL, OpKind.CANCEL_INVOCATION},
        "cancelinvocation": {OpKind.CANCEL_INVOCATION},
        "sleep": {OpKind.SLEEP},
        "timer": {OpKind.SLEEP},
    }
    if key in extra:
        return frozenset(extra[key])
    found = {k for k, v in COMMAND_NAMES.items() if v.replace(" ", "").lower() == key}
    found |= {k for k in OpKind if k.value.replace("_", "") == key}
    return frozenset(found)


@dataclass(frozen=True)
class Recorded:
    """One recorded journal entry, as far as it is known."""

    command: str
    """The command as the server names it (`run`, `call`, `Run`, `GetLazyState` ...)."""
    fields: Mapping[str, object] = field(default_factory=dict)
    """Compared fields whose recorded value is known (`{"name": "charge"}`,
    `{"service": "Greeter", "handler": "greet", "key": ""}`); others are not checked."""


@dataclass(frozen=True)
class Location:
    index: int
    ops: tuple[Op, ...] = ()
    """The distinct source operations at ``index`` along the consistent paths."""
    ends: bool = False
    """Some consistent path ends (returns or raises) before ``index``."""
    unknown: str = ""
    """Set when a consistent path meets an unknown at or before ``index`` (why, where)."""
    paths: int = 0
    """How many paths agree with the recorded prefix."""

    @property
    def op(self) -> Op | None:
        """The one operation at ``index``, or None when it is not certain (see the others)."""
        if len(self.ops) == 1 and not self.ends and not self.unknown:
            return self.ops[0]
        return None

    def reason(self) -> str:
        if self.op is not None:
            return ""
        if self.unknown:
            return self.unknown
        if not self.paths:
            return f"no path of the current code journals what was recorded before index {self.index}"
        if len(self.ops) > 1:
            lines = ", ".join(f"{o.where()} `{o.text}`" for o in self.ops)
            return f"the paths that agree with the recorded journal put different operations at index {self.index}: {lines}"
        if self.ends:
            return f"some paths that agree with the recorded journal end before index {self.index}"
        return f"no path of the current code reaches index {self.index}"


def locate(shape: HandlerShape, recorded: Sequence[Recorded], index: int) -> Location:
    """The operation(s) of ``shape`` at journal ``index`` (the input is index 0, as in the
    server's messages), along the paths consistent with ``recorded`` (the entries at indexes
    1, 2, ..., in order; fewer than ``index - 1`` is fine, missing ones are not checked)."""
    position = index - 1
    if position < 0:
        return Location(index, unknown="index 0 is the handler's input, not an operation of its code")
    try:
        paths = enumerate_paths(shape.shape, unroll=max(2, position + 1), cap=2000)
    except TooManyPaths as err:
        return Location(index, unknown=f"the handler has more than {err.args[0] - 1} paths; rea does not pick among them")
    ops: dict[tuple[str, int, int, str], Op] = {}
    ends = False
    unknown = ""
    consistent = 0
    for path in paths:
        journal = path.journal
        ok = True
        for i in range(min(position, len(recorded), len(journal))):
            entry = journal[i]
            if isinstance(entry, Unknown):
                break
            if not _agrees(recorded[i], entry):
                ok = False
                break
        if not ok:
            continue
        consistent += 1
        blocked = next((e for e in journal[: position + 1] if isinstance(e, Unknown)), None)
        if blocked is not None:
            unknown = unknown or f"{blocked.reason} ({blocked.where()}), before index {index}"
            continue
        if position < len(journal):
            op = journal[position]
            ops.setdefault((op.path, op.line, op.col, op.kind.value), op)  # type: ignore[union-attr]
        elif not path.truncated:
            ends = True
    ordered = tuple(sorted(ops.values(), key=lambda o: (o.path, o.line, o.col)))
    return Location(index, ordered, ends, unknown, consistent)


def _agrees(entry: Recorded, op: Op) -> bool:
    kinds = kinds_of_command(entry.command)
    if kinds and op.kind not in kinds:
        return False
    for name, value in entry.fields.items():
        f = op.fields.get(name)
        if f is None or not f.is_literal:
            continue  # computed at run time: not checked
        if f.literal != value:
            return False
    return True
