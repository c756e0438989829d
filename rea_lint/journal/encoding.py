"""The keys the SDK writes for a value of a class, and whether a change to the class changes them.

Replay compares the bytes of a call's parameter and of a state value (`ops.COMPARED_FIELDS`).
A value the journal replays (the handler's input, a run's or a call's result) is decoded with
the class the *new* code names, and serialized again when the new code passes it on: restate-sdk
1.3 writes a pydantic model with `model_dump_json()`, every field the class declares, bases'
first, in order; a dataclass (state only: the SDK serializes no dataclass as a call's argument)
with `asdict`, likewise. So a field added to the class, even with a default, or removed, renamed
or moved, changes the bytes of every such value: the invocations that journaled the call or the
set before the change fail with 570 there (restate-server 1.7.12, tests/replay: p99-p101, p103-p106).
A `computed_field` is written as a key after the fields. A method or a default changed leaves
the keys as they were; but an instance the code makes leaving a field out holds its default, so a
literal default changed there changes the bytes too. With the same keys, a validator, a
serializer or a field's annotation changed may write other bytes for some values
(`journal.class_code`): never certain, unless the keys changed too.

`Writes` is that list of keys, read from source where it is certain (`journal.decoding`: a class
rea can list exactly, and not `extra="allow"`, whose values write the keys they were given too).
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field

from rea_lint.journal.class_code import Part, code_change
from rea_lint.journal.decoding import Decoding

__all__ = ["Writes"]


@dataclass(frozen=True)
class Writes:
    """The keys a dump of a value of one class writes, in order."""

    keys: tuple[str, ...]
    nested: tuple[tuple[str, "Writes"], ...] = ()
    """Field -> the keys of the model it holds, for a required field declared as that pydantic
    model (`address: Address`): every value holds one, written in place."""
    held: tuple[tuple[str, "Writes"], ...] = ()
    """Field -> the keys of the class it may hold instances of, or none (`items: list[Item]`,
    `address: Address | None`, a field of a model with a default, any of a dataclass's, which
    nothing checks): each one held is written in place."""
    name: str = field(default="", compare=False)
    """How the code names the class (`Quote`)."""
    where: str = field(default="", compare=False)
    """path:line of the class."""
    always: bool = field(default=True, compare=False)
    """The value is always an instance; False: it may be None (an Optional annotation, a state
    value never set), which the SDK writes as no bytes, whatever the class."""
    given: tuple[str, ...] | None = field(default=None, compare=False)
    """For an instance the code makes (`Quote(price=1)`): the fields the call passes, sorted; the
    others hold their defaults. None: not made here, or by a call rea cannot read (`**data`)."""
    literals: tuple[tuple[str, object], ...] = field(default=(), compare=False)
    """Field -> its default, for the defaults written as a literal (`= "EUR"`, `Field(default=0)`)."""
    through: str = field(default="", compare=False)
    """A serde of the project's own the value is given to (`MySerde()`), as written: rea does not
    read what it writes, so other keys are a change only if it writes the class's keys."""
    code: tuple[Part, ...] = field(default=(), compare=False, repr=False)
    """The class's validators, serializers, field annotations... (`class_code`): with the same
    keys, a change there may still write other bytes, depending on the value. (Not in the repr:
    a field's annotation node is there, whose repr names its address; `key` holds the digest.)"""

    request: bool = field(default=False, compare=False)
    """Decoded from the handler's input (`Decoding.request`): a changed default may change it."""

    @staticmethod
    def of(decoding: Decoding | None, always: bool = True, given: tuple[str, ...] | None = None, request: bool = False) -> "Writes | None":
        """What a value decoded as (or made from) ``decoding`` writes; None where rea cannot list it.
        (``request``: the models it holds are a request's too.)"""
        if decoding is None or decoding.allows_extra:
            return None
        literals: list[tuple[str, object]] = []
        if given is not None:  # (only a made instance's defaults are certainly in its dump)
            for name, node in decoding.values.items():
                value = _literal(node)
                if value is not _COMPUTED:  # (a computed default: rea cannot say what it holds)
                    literals.append((name, value))
        nested: list[tuple[str, Writes]] = []
        held: list[tuple[str, Writes]] = []
        for name, inner, always_held in (*((n, d, True) for n, d in decoding.nested.items()),
                                          *((n, d, False) for n, d in decoding.held.items())):
            if name in decoding.serialized or "*" in decoding.serialized:
                continue  # (a `field_serializer` writes what it returns there)
            writes = Writes.of(inner, request=request or decoding.request)
            if writes is not None:  # (with a default, a field may hold that instead; a dataclass's, anything)
                certain = always_held and decoding.kind == "pydantic" and not decoding.defaults.get(name, True)
                (nested if certain else held).append((name, writes))
        return Writes(decoding.fields + decoding.computed, tuple(nested), tuple(held), decoding.name, decoding.where, always, given,
                      tuple(literals), code=decoding.code, request=request or decoding.request)

    def change(self, new: "Writes") -> tuple[str, str] | None:
        """How a value written as ``new`` differs from one written as this (the old class), and
        when it writes the same bytes after all ("`items` holds no `Item`": a list of them may be
        empty, an Optional one None; "" when it cannot); None when nothing rea reads differs."""
        if self.keys != new.keys:
            added = [k for k in new.keys if k not in self.keys]
            removed = [k for k in self.keys if k not in new.keys]
            if added and removed:
                what = f"writes {_names(added)} and no longer {_names(removed)}"
            elif added:
                what = f"now writes {_names(added)} too"
            elif removed:
                what = f"no longer writes {_names(removed)}"
            else:
                what = f"writes its keys in another order ({_names(new.keys)})"
            return f"`{new.name}` ({new.where}), which {what} where {self._as_old(new)} wrote {_names(self.keys)}", ""
        for old_inner, new_inner, may_hold_none in ((self.nested, new.nested, False), (self.held, new.held, True)):
            old_by_name = dict(old_inner)
            for name, inner in new_inner:
                held = old_by_name.get(name)
                found = held.change(inner) if held is not None else None
                if found is not None:
                    why, unless = found
                    unless = unless.replace("`", f"`{name}.", 1) if unless else ""
                    if may_hold_none:
                        unless = f"`{name}` holds no `{inner.name}`" + (f" or {unless}" if unless else "")
                    holds = "may hold" if may_hold_none else "holds"
                    return f"`{new.name}` ({new.where}), whose field `{name}` {holds} {why}", unless
        if self.given is not None and new.given is not None:
            # an instance made with the same fields left out: each holds its default, written as is
            before, after = dict(self.literals), dict(new.literals)
            for name in new.keys:
                if name in self.given or name in new.given or name not in before or name not in after:
                    continue
                a, b = before[name], after[name]
                if a != b or type(a) is not type(b):
                    return (f"`{new.name}` ({new.where}), which now gives `{name}` the default {b!r} where {self._as_old(new)} gave {a!r}, "
                            "and the code that makes it leaves that field out"), ""
        changed = code_change(self.code, new.code, defaults=new.request)
        if changed is not None:
            return f"`{new.name}` ({new.where}), whose {changed[0]}", changed[1]
        return None

    def _as_old(self, new: "Writes") -> str:
        """This class, named as the old one beside ``new``."""
        return f"the old `{self.name}` ({self.where})" if self.name == new.name else f"`{self.name}` ({self.where}) then"

    def key(self) -> str:
        """The keys (and a made instance's defaults) as text (`shape.shape_key`: two shapes whose
        values write other bytes journal differently)."""
        inner = "".join(f",{name}:{held.key()}" for name, held in self.nested) + "".join(f",{name}?:{held.key()}" for name, held in self.held)
        made = f"|{self.given}|{self.literals!r}" if self.given is not None else ""  # (a made instance's defaults are written)
        read = [p.digest for p in self.code if p.role != "default" or self.request]
        code = "#" + hashlib.sha1("\0".join(read).encode("utf-8", "surrogatepass")).hexdigest()[:16] if read else ""
        return "{" + ",".join(self.keys) + inner + "}" + ("" if self.always else "?") + made + code


_COMPUTED = object()


def _literal(node: ast.expr, depth: int = 0) -> object:
    """The value a literal default spells (`"EUR"`, `-1`, `[]`, `{"a": 1}`), else `_COMPUTED`.
    (Not `ast.literal_eval`: its recursive helper is a closure that holds itself, a reference
    cycle per call, which rea's shapes must not leave behind.)"""
    if depth > 20:
        return _COMPUTED
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        return -value if isinstance(value, (int, float, complex)) and not isinstance(value, bool) else _COMPUTED
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(e, depth + 1) for e in node.elts]
        if any(i is _COMPUTED for i in items):
            return _COMPUTED
        return list(items) if isinstance(node, ast.List) else tuple(items) if isinstance(node, ast.Tuple) else _COMPUTED
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        keys = [_literal(k, depth + 1) for k in node.keys]  # type: ignore[arg-type]
        values = [_literal(v, depth + 1) for v in node.values]
        if any(i is _COMPUTED for i in (*keys, *values)):
            return _COMPUTED
        try:
            return dict(zip(keys, values))
        except TypeError:  # (an unhashable key)
            return _COMPUTED
    return _COMPUTED


def _names(keys: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(f"`{k}`" for k in keys[:6])
    more = len(keys) - 6
    return shown + (f" and {more} more" if more > 0 else "") if keys else "no key"
