"""The journal operations a handler can produce, and the fields replay compares.

Restate's Python SDK hands every context call to the shared core (restatedev/sdk-shared-core),
which, while replaying, pops the recorded command and checks it against the one the code
attempts (`check_entry_header_match` in src/vm/transitions/journal.rs, using the
`CommandMessageHeaderEq` impls of src/service_protocol/messages.rs). A different command
type is a `CommandTypeMismatchError`, a different compared field a `CommandMismatchError`:
both end the attempt with 570 "Journal mismatch". `COMPARED_FIELDS` is that table, read
from those sources (docs/replay-compatibility.md cites each line). Fields not listed (a
sleep's wake-up time, a delayed send's invoke time, a run's action and result) are recorded
but never compared.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from rea_lint.journal.code_names import code_names

if TYPE_CHECKING:
    from rea_lint.journal.changed_lines import Trail
    from rea_lint.journal.decoding import Decoding
    from rea_lint.journal.encoding import Writes

__all__ = ["COMMAND_NAMES", "COMPARED_FIELDS", "Field", "Op", "OpKind", "SUSPENDING", "certain_mismatch", "field_mismatch", "ordinal", "restated"]


class OpKind(str, enum.Enum):
    """One kind of journal command (or a context call that journals nothing but matters)."""

    RUN = "run"
    CALL = "call"
    SEND = "send"
    SLEEP = "sleep"
    GET_STATE = "get_state"
    STATE_KEYS = "state_keys"
    SET_STATE = "set_state"
    CLEAR_STATE = "clear_state"
    CLEAR_ALL_STATE = "clear_all_state"
    GET_PROMISE = "get_promise"
    PEEK_PROMISE = "peek_promise"
    COMPLETE_PROMISE = "complete_promise"
    COMPLETE_AWAKEABLE = "complete_awakeable"
    SEND_SIGNAL = "send_signal"
    CANCEL_INVOCATION = "cancel_invocation"
    ATTACH_INVOCATION = "attach_invocation"
    AWAKEABLE = "awakeable"
    """`ctx.awakeable()`: allocates a signal id, writes no command (not journaled)."""
    SIGNAL = "signal"
    """`ctx.signal(name)`: waits on a named signal, writes no command (not journaled)."""
    WAIT = "wait"
    """`await` of an awakeable's promise (`_, p = ctx.awakeable()`, then `await p`): writes no
    command, but replay cannot pass it while commands remain unless the journal holds the
    awakeable's completion (`guided`: "'await' could not be replayed"). Its field `awakeable`
    places the `ctx.awakeable()` call that made it: (path, line, column), as that op is placed."""
    STORED = "stored"
    """A lambda or nested def that journals, kept to be called later (a saga's compensation):
    writes no command where it is kept; its `code` is what it journals when called, which rea
    does not follow to the call (`compare.compare_handlers`: a changed one is unknown)."""

    @property
    def journaled(self) -> bool:
        return self not in (OpKind.AWAKEABLE, OpKind.SIGNAL, OpKind.STORED, OpKind.WAIT)


COMMAND_NAMES: Mapping[OpKind, str] = {
    OpKind.RUN: "run",
    OpKind.CALL: "call",
    OpKind.SEND: "one way call/send",
    OpKind.SLEEP: "sleep",
    OpKind.GET_STATE: "get state",
    OpKind.STATE_KEYS: "get state keys",
    OpKind.SET_STATE: "set state",
    OpKind.CLEAR_STATE: "clear state",
    OpKind.CLEAR_ALL_STATE: "clear all state",
    OpKind.GET_PROMISE: "get promise",
    OpKind.PEEK_PROMISE: "peek promise",
    OpKind.COMPLETE_PROMISE: "complete promise",
    OpKind.COMPLETE_AWAKEABLE: "complete awakeable",
    OpKind.SEND_SIGNAL: "send signal",
    OpKind.CANCEL_INVOCATION: "send signal",
    OpKind.ATTACH_INVOCATION: "attach invocation",
}
"""How the shared core names each command in a 570 message (`CommandType`'s Display,
src/lib.rs). The input command is index 0 ("handler input"); the handler's first operation
is index 1. A cancel is a `SendSignal` command carrying the cancel signal."""

SUSPENDING = frozenset({OpKind.CALL, OpKind.SLEEP, OpKind.GET_PROMISE, OpKind.ATTACH_INVOCATION, OpKind.RUN, OpKind.GET_STATE, OpKind.STATE_KEYS, OpKind.PEEK_PROMISE})
"""Operations an invocation can be suspended (or retried) at: the ones awaited for a result
(a `WAIT`, which journals nothing, is a stop of its own: `guided._stops`)."""

COMPARED_FIELDS: Mapping[OpKind, tuple[str, ...]] = {
    OpKind.RUN: ("name",),
    OpKind.CALL: ("service", "handler", "key", "parameter", "headers", "idempotency_key", "scope", "limit_key"),
    OpKind.SEND: ("service", "handler", "key", "parameter", "headers", "idempotency_key", "scope", "limit_key"),
    OpKind.SLEEP: ("name",),
    OpKind.GET_STATE: ("key", "name"),
    OpKind.STATE_KEYS: ("name",),
    OpKind.SET_STATE: ("key", "value", "name"),
    OpKind.CLEAR_STATE: ("key", "name"),
    OpKind.CLEAR_ALL_STATE: ("name",),
    OpKind.GET_PROMISE: ("key",),
    OpKind.PEEK_PROMISE: ("key",),
    OpKind.COMPLETE_PROMISE: ("key", "value"),
    OpKind.COMPLETE_AWAKEABLE: ("awakeable_id", "value"),
    OpKind.SEND_SIGNAL: ("invocation_id", "signal", "value"),
    OpKind.CANCEL_INVOCATION: ("invocation_id",),
    OpKind.ATTACH_INVOCATION: ("invocation_id",),
    OpKind.AWAKEABLE: (),
    OpKind.SIGNAL: ("signal",),
    OpKind.WAIT: (),
    OpKind.STORED: ("code",),  # (no command: compared so that two shapes with another kept code differ)
}
"""Kind -> the fields the shared core compares on replay (besides the command type and the
completion ids, which follow from the operations before). `value`/`parameter` are the
serialized bytes: the Python SDK leaves payload checks on (`VMOptions::default()`,
`PayloadOptions::default()`), so a different value is a mismatch. A state operation's `name`
is its `entry_name=` (restate-sdk 1.3; `""` when not given): restate-server 1.7.12 with
restate-sdk 1.3.0 reports 570 when only that changed (tests/runtime/test_diff_server.py)."""


@dataclass(frozen=True)
class Field:
    """One compared field as the source writes it.

    ``literal`` holds the value when the source spells it out (`"charge"`, `"Greeter"`);
    otherwise ``fingerprint`` stands for the computation that produces it (the expression
    with local names replaced by their definitions), so two revisions that compute the same
    value the same way compare equal."""

    text: str
    """How the source writes it (`"charge"`, `order.id`)."""
    literal: object = None
    is_literal: bool = False
    fingerprint: str = ""
    prefix: str = ""
    suffix: str = ""
    """For a string computed around literal text (`f"step-{i}"`, `"awk-" + key`): the text it
    certainly starts and ends with; "" when nothing is known."""
    writes: "Writes | None" = None
    """For a payload that is a whole pydantic model or dataclass (the handler's input forwarded,
    a run's result stored): the keys its dump writes (`journal.encoding`). The same computation
    writes other bytes when the class now writes other keys."""
    computed: str = ""
    """For a payload: the fingerprint without the code of the class an instance used whole is
    decoded with (`Fingerprinter.with_and_without_classes`), which ``writes`` compares itself,
    keys and code, where rea reads it; "" where it is ``fingerprint``."""
    trail: "Trail | None" = field(default=None, compare=False, repr=False)
    """The statements of the handler's code the computation read (`changed_lines`): a reason
    names those that changed; no part of what is compared."""

    @staticmethod
    def of_literal(value: object, text: str) -> "Field":
        """A value the source spells out; a dict's fingerprint keeps its order and each value's
        type, as the bytes written from it do (`{"a": 1, "b": 2}` is not `{"b": 2, "a": 1}`)."""
        return Field(text=text, literal=value, is_literal=True, fingerprint=_spelled(value))

    def same_as(self, other: "Field") -> bool:
        if self.is_literal and other.is_literal:
            if isinstance(self.literal, dict) or isinstance(other.literal, dict):
                return self.fingerprint == other.fingerprint
            return self.literal == other.literal and type(self.literal) is type(other.literal)
        return self.same_computation(other) and self.rewritten(other) is None

    def same_computation(self, other: "Field") -> bool:
        """Do the two compute their value the same way? Where rea reads the class one of them is
        written as, by the computation alone (`writes` compares the class, or says it is read on
        one side only); else, with the code of the classes the values they read are decoded with."""
        if self.writes is not None or other.writes is not None:
            return (self.computed or self.fingerprint) == (other.computed or other.fingerprint)
        return self.fingerprint == other.fingerprint

    def rewritten(self, other: "Field") -> str | None:
        """How ``other``'s value (the new code's) is written otherwise than this one's, where rea
        knows the class on either side (`encoding.Writes.change`); None otherwise."""
        found = self._rewrite(other)
        return found[0] if found is not None else None

    def surely_rewritten(self, other: "Field") -> bool:
        """`rewritten`, neither value may be None (written as no bytes, whatever the class), nor
        hold none of the instances whose keys changed (an empty `list[Item]`), and neither is
        written by a serde rea does not read."""
        return (self.rewritten(other) is not None and self._plainly_written() and other._plainly_written()
                and not self._unless(other))

    def _unless(self, other: "Field") -> str:
        found = self._rewrite(other)
        return found[1] if found is not None else ""

    def _rewrite(self, other: "Field") -> "tuple[str, str] | None":
        """(`rewritten`, when it may write the same bytes after all). The same computation whose
        class rea reads on one side only (it gained a `model_serializer`, an alias) may write
        other bytes: never certainly."""
        if self.writes is None and other.writes is None:
            return None
        if self.writes is None or other.writes is None:
            if not self.same_computation(other):
                return None  # (another computation: that is the change to name)
            known = self.writes or other.writes
            now, then = ("the old", "the new") if other.writes is None else ("the new", "the old")
            return (f"`{known.name}` ({known.where}), whose keys rea reads in {now} code but not in {then} "  # type: ignore[union-attr]
                    "(a `model_serializer`, an alias, code it does not read)", f"{then} code writes the same bytes for it")
        return self.writes.change(other.writes)

    def _plainly_written(self) -> bool:
        return self.writes is not None and self.writes.always and not self.writes.through

    def unsure_why(self, other: "Field") -> str:
        """Why a `rewritten` value may still write the same bytes (empty when it cannot)."""
        through = (self.writes and self.writes.through) or (other.writes and other.writes.through)
        if through:
            return f" (if `{through}` writes the class's keys, as the SDK's own serdes do)"
        if self.surely_rewritten(other):
            return ""
        maybe_none = any(f.writes is not None and not f.writes.always for f in (self, other))
        unless = ["it is None, which it may be: then no bytes are written"] if maybe_none else []
        held = self._unless(other)
        return f" (unless {'; or '.join(unless + ([held] if held else []))})"

    def describe(self) -> str:
        # (a tuple is a rejection's failure, spelled as its text: `failure 'no', 500`)
        return repr(self.literal) if self.is_literal and not isinstance(self.literal, tuple) else self.text

    def never_equals(self, other: "Field") -> bool:
        """The two can never be the same string: their known beginnings, or ends, differ
        (`f"step-{i}"` and `f"step {i}"`; `"awk-" + key` and `"results"`), or a literal is
        shorter than what the other certainly holds, or the two are a model's dumps with other keys."""
        if self.surely_rewritten(other):
            return True  # (the old value's keys, whatever computed it, are not the new one's)
        ends = []
        for f in (self, other):
            if f.is_literal:
                if not isinstance(f.literal, str):
                    return False
                ends.append((f.literal, f.literal, True))
            else:
                ends.append((f.prefix, f.suffix, False))
        (pa, sa, exact_a), (pb, sb, exact_b) = ends
        if not (pa.startswith(pb) or pb.startswith(pa)) or not (sa.endswith(sb) or sb.endswith(sa)):
            return True
        return (exact_a and not exact_b and len(pa) < len(pb) + len(sb)) or (exact_b and not exact_a and len(pb) < len(pa) + len(sa))


def _ends(f: Field, before: bool = False) -> str:
    """What a string computed around literal text is known to start and end with, in words."""
    start, end = ("started", "ended") if before else ("now starts", "now ends")
    said = ([f"{start} with {f.prefix!r}"] if f.prefix else []) + ([f"{end} with {f.suffix!r}"] if f.suffix else [])
    return " and ".join(said) or ("was computed otherwise" if before else "is computed otherwise")


def _spelled(value: object) -> str:
    return repr(_items(value)) if isinstance(value, dict) else repr(value)


def _items(value: dict[object, object]) -> list[tuple[str, str, str]]:
    """A dict's items in order, each value with its type (`1` and `True` are equal, not the same JSON)."""
    return [(repr(k), repr(v), type(v).__name__) for k, v in value.items()]


ABSENT = Field(text="(none)", literal=None, is_literal=True, fingerprint="None")


@dataclass(frozen=True)
class Op:
    """A context call that journals a command (or, for `AWAKEABLE`/`SIGNAL`, allocates a
    notification): its kind, the compared fields, and where the source makes it."""

    kind: OpKind
    fields: Mapping[str, Field] = field(default_factory=dict, compare=False)
    path: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)
    text: str = field(default="", compare=False)
    """The call as written, shortened (`ctx.run("charge", ...)`)."""
    via: tuple[str, ...] = field(default=(), compare=False)
    """Helper calls the operation is reached through (`charge(ctx, ...)`), outermost first."""
    decoded: "Decoding | None" = field(default=None, compare=False)
    """The class its journaled result is decoded into, where rea can list its fields
    (`journal.decoding`): replay decodes what the old code journaled with the new code's."""

    @property
    def command(self) -> str:
        return COMMAND_NAMES.get(self.kind, self.kind.value)

    def get(self, name: str) -> Field:
        return self.fields.get(name, ABSENT)

    def label(self) -> str:
        """`run "charge"`, `call Greeter/greet`: what it is, in words."""
        k = self.kind
        if k in (OpKind.RUN, OpKind.SLEEP) and "name" in self.fields:
            name = self.get("name")
            return k.value if name.is_literal and name.literal == "" else f"{k.value} {name.describe()}"
        if k in (OpKind.CALL, OpKind.SEND):
            return f"{k.value} {self.get('service').describe()}/{self.get('handler').describe()}"
        if "key" in self.fields:
            return f"{k.value} {self.get('key').describe()}"
        return k.value

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"line {self.line}"


def ordinal(n: int) -> str:
    """`1st`, `2nd`, `3rd`, `4th`, `11th`, ... (the invocation's 2nd awakeable)."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def restated(recorded: Op, attempted: Op) -> str:
    """How a reason opens on the same command written again: "`x` became `y`:", or, for the very
    same text (a value it names now means another, or is written with other keys), "`x` reads as
    before, but its"."""
    if recorded.text == attempted.text:
        return f"`{attempted.text}` reads as before, but its"
    return f"`{recorded.text}` became `{attempted.text}`:"


def certain_mismatch(recorded: Op, attempted: Op) -> bool:
    """Is the mismatch `field_mismatch` found certain? A different command type, or a field
    whose two values the source spells out, is, and so is a string whose known beginning or end
    rules the other out (`f"step-{i}"` against `f"step {i}"`); a field computed at run time
    (`f"step-{i}"` against `f"step-{i + 1}"`, a payload) whose computation changed may still
    produce the same bytes."""
    if recorded.kind is not attempted.kind:
        return True
    for name in COMPARED_FIELDS.get(recorded.kind, ()):
        a, b = recorded.get(name), attempted.get(name)
        if not a.same_as(b) and ((a.is_literal and b.is_literal) or a.never_equals(b)):
            return True
    return False


def field_mismatch(recorded: Op, attempted: Op) -> str | None:
    """None if replaying ``attempted`` against ``recorded`` passes the shared core's check;
    else what differs (`command type run != call`, `name "a" != "b"`)."""
    if recorded.kind.journaled != attempted.kind.journaled:
        return "journaled != not journaled"
    if recorded.kind is not attempted.kind:
        return f"command type {recorded.command} != {attempted.command}"
    for name in COMPARED_FIELDS.get(recorded.kind, ()):
        a, b = recorded.get(name), attempted.get(name)
        if not a.same_as(b):
            rewritten = a.rewritten(b) if not (a.is_literal and b.is_literal) else None
            if rewritten is not None:
                return f"{name} `{b.text}` is written as {rewritten}{a.unsure_why(b)}"
            reordered = isinstance(a.literal, dict) and isinstance(b.literal, dict) and sorted(_items(a.literal)) == sorted(_items(b.literal))
            if not a.is_literal and not b.is_literal and a.text == b.text:
                if (a.prefix, a.suffix) != (b.prefix, b.suffix):  # (the same text, a constant it reads changed: `PREFIX + x`)
                    return f"{name} {b.describe()} {_ends(b)} where it {_ends(a, before=True)}"
                changed = code_names(a.fingerprint, b.fingerprint, attempted.path)
                reads = f": it reads code that changed, {', '.join(changed[:3])}{' ...' if len(changed) > 3 else ''}" if changed else ""
                return f"{name} {b.describe()} is computed otherwise (it, or a value it reads{reads})"
            return f"{name} {a.describe()} != {b.describe()}" + (" (the same items in another order)" if reordered else "")
    return None

