"""What a journaled result is decoded with, and whether what the old code journaled still decodes.

Replay hands the new code the results the old code journaled: a run's result, a state value.
The SDK decodes each with the type the code names there (restate-sdk 1.3's `DefaultSerde`: a
`type_hint=`, a run action's return annotation, `PydanticJsonSerde(Model)`), and a value that
does not fit is no 570: the decoder raises (pydantic's `ValidationError`, dacite's
`MissingValueError`) in the handler, Restate retries the invocation, and it fails the same way
at every retry, for good.

A `Decoding` is such a type read from source: a pydantic model or a dataclass whose fields rea
can list exactly. A run's result the old code journaled is what the SDK wrote with the old class (every field of
a model, `model_dump_json()`; every field of a dataclass, `asdict`), so a field the new class
requires that the old class did not have is certain to be missing: `rea diff` calls it breaking.
A state value may have been written by other code (a mapping with more keys): the same change
is unknown there, with the reason. rea says nothing where
it cannot list the fields (aliases, a validator that may fill a field in, a base it cannot read):
`Decoding.of` gives None, and no break is claimed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from rea_lint.data_classes import NEVER_TAKES, ClassLookup, FieldKind, read_class
from rea_lint.journal.class_code import Part, class_code
from rea_lint.journal.fingerprint import Imported
from rea_lint.model import Model

__all__ = ["Decoding", "decode_break", "held_break"]

_UNREAD = object()


@dataclass(frozen=True)
class Decoding:
    """A class a journaled value is decoded into, as the source defines it."""

    name: str
    """How the code names it where it decodes (`Quote`, `models.Cart`)."""
    where: str
    """path:line of the class."""
    kind: str
    """`pydantic` or `dataclass`."""
    fields: tuple[str, ...]
    """Every field, bases' first: the keys the SDK writes for a value of the class."""
    required: tuple[str, ...]
    """The fields a value must hold to decode (pydantic: no default; dacite: no default and not Optional)."""
    defaults: dict[str, bool]
    """Field -> whether it has a default (for the advice)."""
    forbids_extra: bool
    """`extra="forbid"`: a key the class does not declare fails the decode."""
    nested: dict[str, "Decoding"]
    """Field -> the class it holds, for a field the class itself declares as that class
    (`address: Address`, not `Optional[Address]` nor `list[Address]`: those may hold none)."""
    kinds: dict[str, FieldKind]
    """Field -> the JSON it holds, where its annotation says for certain (a nested class: `object`)."""
    held: dict[str, "Decoding"]
    """Field -> the class whose instances it may hold, or none (`items: list[Item]`,
    `address: Address | None`): each one it holds is written with that class's keys."""
    allows_extra: bool = False
    """`extra="allow"`: a value keeps (and its dump writes) keys the class does not declare."""
    serialized: frozenset[str] = frozenset()
    """The fields a `field_serializer` of the class writes (`*`: any; `ClassRead.serialized`)."""
    values: dict[str, ast.expr] = field(default_factory=dict, repr=False, compare=False)
    """Field -> the expression of its default, not made by a factory (`ClassRead.values`; not in the
    repr: a node's repr names its address, and shapes are compared by repr)."""
    node: ast.ClassDef | None = field(default=None, repr=False, compare=False)
    """The class's definition (its methods' code: `shape._instance_attribute`)."""
    computed: tuple[str, ...] = ()
    """The `computed_field` properties: a dump writes them as keys after the fields."""
    code: tuple[Part, ...] = field(default=(), repr=False, compare=False)
    """What decides the values it decodes and the bytes they write, besides its keys (`class_code`)."""
    request: bool = field(default=False, repr=False, compare=False)
    """Decoded from the handler's input: a caller's request, which may leave a field with a
    default out (a value the SDK wrote holds every key), so the defaults decide values too."""

    @staticmethod
    def of(model: Model, path: str, name: ast.expr, lookup: ClassLookup, turn: object = None, depth: int = 0,
           imported: Imported | None = None) -> "Decoding | None":
        """The decoding ``name`` (a class named in the module of ``model``, at ``path``) stands for, or None.

        A class is read once per ``turn`` (the file whose handlers are being shaped): each turn
        must look its bases' modules up itself, since `rea diff` reuses a file's shapes on the
        other side only if every module its turn looked up is the same there. ``imported``: the
        turn's resolver of the functions a class's methods import (`class_code`)."""
        found = lookup(model, path, name)
        if found is None:
            return None
        cls_model, cls, cls_path = found
        key = ("decoding-read", id(cls), turn)
        read = cls_model.memo.get(key, _UNREAD)  # (a class is read once per model, however often it is named)
        if read is _UNREAD:
            read = cls_model.memo[key] = read_class(cls_model, cls, cls_path, lookup)
        if read is None:
            return None
        kind, fields, defaults, optional, forbid, direct = read.kind, read.fields, read.defaults, read.optional, read.forbids_extra, read.direct
        nested: dict[str, Decoding] = {}
        held: dict[str, Decoding] = {}
        if depth < 4:  # (a model that holds itself: `parent: Node`)
            for into, annotations in ((nested, direct), (held, read.held)):
                for field_name, annotation in annotations.items():
                    inner = Decoding.of(cls_model, cls_path, annotation, lookup, turn, depth + 1, imported)
                    if inner is not None:
                        into[field_name] = inner
        if kind == "pydantic":
            required = tuple(f for f in fields if not defaults[f])
        else:
            required = tuple(f for f in fields if not defaults[f] and not optional[f])
        kinds = dict(read.kinds)
        for field_name in nested:
            kinds[field_name] = replace(kinds[field_name], kind="object")
        return Decoding(ast.unparse(name), f"{cls_path}:{cls.lineno}", kind, tuple(fields), required, defaults, forbid, nested, kinds,
                        held, read.allows_extra, read.serialized, read.values, cls, read.computed,
                        class_code(cls_model, cls, cls_path, lookup, turn, imported=imported))


def decode_break(old: Decoding | None, new: Decoding | None, value: str = "result") -> str | None:
    """Why a value written from ``old`` cannot be decoded with ``new``; None when it can, or when
    either side is not known. ``value`` says whose it is, which decides how sure rea is and what
    follows: a run's `result` is certainly the SDK's dump of an ``old`` instance; a `state` value
    may have been written by other code, with more keys; a `call`'s result by the called handler's
    deployment, maybe newer code; an `input` is what a caller sent."""
    if old is None or new is None:
        return None
    missing = [f for f in new.required if f not in old.fields]
    extra = [f for f in old.fields if f not in new.fields] if new.forbids_extra else []
    changed = [f for f in new.fields if f in old.fields and _never_takes(old.kinds[f], new.kinds[f])]
    if not missing and not extra and not changed:
        # a field the old class required to hold an old instance of a class holds one in every value
        for field_name, inner in new.nested.items():
            held = old.nested.get(field_name)
            if held is not None and not old.defaults.get(field_name, True):
                why = decode_break(held, inner, value)
                if why is not None:
                    return f"decoded as `{new.name}` ({new.where}), whose field `{field_name}` is {why}"
        return None
    error = "pydantic ValidationError" if new.kind == "pydantic" else "dacite MissingValueError"
    had = f"`{old.name}` ({old.where}) then" if old.name != new.name else f"the old `{old.name}` ({old.where})"
    several = value == "result"  # (the values the old code journaled; otherwise one value)
    if missing:
        fields = ", ".join(f"`{f}`" for f in missing)
        it = "them" if len(missing) > 1 else "it"
        head = f"decoded as `{new.name}` ({new.where}), which requires the field{'s' * (len(missing) > 1)} {fields} that {had} did not have"
        lacks = f"{_written(value, old)} {'lack' if several else 'lacks'} {it}"
        fix = ("give it a default" if len(missing) == 1 else "give them defaults") + (
            " (pydantic: `= None` or `Field(default=...)`; an Optional annotation alone is still required)"
            if new.kind == "pydantic" else " (or make it Optional)")
    elif changed:
        if new.kind == "dataclass":
            error = "dacite WrongTypeError"
        f = changed[0]
        was, now = old.kinds[f], new.kinds[f]
        head = f"decoded as `{new.name}` ({new.where}), whose field `{f}` is now `{now.text}` where {had} had `{was.text}`"
        lacks = f"{_written(value, old)} {'hold' if several else 'holds'} a JSON {was.kind} there, which `{now.text}` never accepts"
        fix = "keep the field's type, or add the new type as a new field (with a default)"
    else:
        fields = ", ".join(f"`{f}`" for f in extra)
        head = f"decoded as `{new.name}` ({new.where}), which forbids keys it does not declare (`extra=\"forbid\"`)"
        if several:
            lacks = f"{_written(value, old)} hold {fields} (`{old.name}`, {old.where})"
        else:
            lacks = f"{_written(value, old)} ({old.where}) {'may hold' if value == 'input' else 'holds'} {fields}"
        fix = "keep the field, or allow extra keys"
    if value == "result":
        return f"{head}: {lacks}, so replay cannot decode them ({error}) and Restate retries the invocation for good; {fix}"
    if value == "call":
        return (f"{head}: {lacks}, and then replay cannot decode it ({error}) and Restate retries the invocation for good "
                f"(rea cannot tell which code the called handler's deployment ran when it answered); {fix}")
    if value == "state":
        return (f"{head}: {lacks}, and then replay cannot decode it ({error}), Restate retries the invocation for good, and "
                "every later read of such a value stored before this change fails the same way, not only in flight (rea "
                f"cannot tell whether the stored values were all written so); {fix}")
    return (f"{head}: {lacks}, and then replay cannot decode it ({error}): the SDK ends the invocation with its terminal "
            "error \"Unable to parse an input argument\" where its journal holds more, so the server reports 570 at index 1 "
            "(the current execution attempts 'handler return') and retries it for good, and every new request without it "
            f"fails (rea cannot tell what callers sent); {fix}")


def held_break(old: Decoding | None, new: Decoding | None, value: str = "result") -> str | None:
    """`decode_break` for a field that may hold instances of a class, or none (`items: list[Item]`,
    `address: Address | None`, a model field with a default): an old value that holds one there no
    longer decodes, one that holds none does. Source cannot tell which the journal holds, so this
    is never certain (`rea diff` says unknown). Asked only where `decode_break` answers None
    (`decode_break(...) or held_break(...)`), which it does not ask again."""
    if old is None or new is None:
        return None
    why = _held(old, new, value)
    return f"{why}; only a value that holds one there breaks, and rea cannot tell whether any does" if why is not None else None


def _held(old: Decoding, new: Decoding, value: str, depth: int = 0) -> str | None:
    if depth > 4:
        return None
    for name, inner in (*new.nested.items(), *new.held.items()):
        before = old.nested.get(name) or old.held.get(name)
        if before is None:
            continue
        if name in new.nested and name in old.nested and not old.defaults.get(name, True):
            why = _held(before, inner, value, depth + 1)  # (always held: `decode_break` read it whole)
            if why is not None:
                return f"decoded as `{new.name}` ({new.where}), whose field `{name}` is {why}"
            continue
        why = decode_break(before, inner, value) or _held(before, inner, value, depth + 1)
        if why is not None:
            return f"decoded as `{new.name}` ({new.where}), whose field `{name}` may hold values {why}"
    return None


def _written(value: str, old: Decoding) -> str:
    """Who wrote the ``value`` a decode reads (see `decode_break`)."""
    return {"result": "the values the old code journaled",
            "state": f"a value written from the old `{old.name}`",
            "call": f"a result the called handler returned as the old `{old.name}`",
            "input": f"a request sent for the old `{old.name}`"}[value]


def _never_takes(old: FieldKind, new: FieldKind) -> bool:
    """Does no value an ``old`` field holds decode into a ``new`` one? (An old null decodes into a
    new Optional: then some values do.)"""
    if old.kind is None or new.kind is None or old.kind not in NEVER_TAKES[new.kind]:
        return False
    return not (old.nullable and new.nullable)
