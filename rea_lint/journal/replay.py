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

from rea_lint.journal.ops import COMMAND_NAMES, Field, Op, OpKind
from rea_lint.journal.guided import Budget, reach
from rea_lint.journal.shape import Exit, HandlerShape

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
    """Some consistent way ends (returns or raises) before ``index``. Such a way cannot be the
    one the invocation took if the code attempted an operation at ``index``; ``op`` ignores it."""
    unknown: str = ""
    """Set when a consistent path meets an unknown at or before ``index`` (why, where)."""
    paths: int = 0
    """How many ways through the code (distinct states) agree with the recorded prefix and
    reach ``index`` or an unknown before it (0: none does)."""
    exits: tuple[Exit, ...] = ()
    """The `return`s and `raise`s that end a consistent way exactly at ``index`` (where the
    handler's output is then attempted), in source order."""
    falls_off: bool = False
    """Some consistent way ends exactly at ``index`` by running off the handler's end."""

    @property
    def exit(self) -> Exit | None:
        """The one `return` or `raise` that ends the code at ``index``, or None when it is not
        certain (several, none, a `raise` a handler may catch, or a way that runs off the end or
        meets an unknown)."""
        if len(self.exits) == 1 and not self.exits[0].caught and not self.falls_off and not self.unknown:
            return self.exits[0]
        return None

    @property
    def op(self) -> Op | None:
        """The one operation at ``index``, or None when it is not certain (see the others)."""
        if len(self.ops) == 1 and not self.unknown:
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
            return f"the paths that agree with the recorded journal end before index {self.index}"
        return f"no path of the current code reaches index {self.index}"


def locate(shape: HandlerShape, recorded: Sequence[Recorded], index: int) -> Location:
    """The operation(s) of ``shape`` at journal ``index`` (the input is index 0, as in the
    server's messages), along the paths consistent with ``recorded`` (the entries at indexes
    1, 2, ..., in order; fewer than ``index - 1`` is fine, missing ones are not checked)."""
    position = index - 1
    if position < 0:
        return Location(index, unknown="index 0 is the handler's input, not an operation of its code")
    def agrees(i: int, op: Op) -> bool:
        return i >= len(recorded) or _agrees(recorded[i], op)

    try:
        found = reach(shape.shape, position, agrees)
    except Budget:
        return Location(index, unknown="the handler's branches and loops are too many to follow every way through them")
    unknown = ""
    if found.unknown is not None:
        u = found.unknown
        unknown = f"{u.reason} ({u.where()}), at or before index {index}"
    ordered = tuple(sorted(found.ops.values(), key=lambda o: (o.path, o.line, o.col)))
    exits = tuple(sorted(found.exits.values(), key=lambda e: (e.path, e.line)))
    return Location(index, ordered, found.ends, unknown, found.ways, exits, found.falls_off)


def _agrees(entry: Recorded, op: Op) -> bool:
    kinds = kinds_of_command(entry.command)
    if kinds and op.kind not in kinds:
        return False
    for name, value in entry.fields.items():
        f = op.fields.get(name)
        if f is None:
            continue
        if not f.is_literal:
            # computed at run time: checked only against the text it certainly starts or ends with
            if isinstance(value, str) and f.never_equals(Field(text=repr(value), literal=value, is_literal=True)):
                return False
            continue
        if f.literal != value:
            return False
    return True
