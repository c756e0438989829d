"""The code of a class that decides which value its instances hold and which bytes they write.

A value the journal replays (the handler's input, a run's or a call's result, a state value) is
decoded again with the class the *new* code names, and written again when the new code passes
it on. Its keys are `journal.encoding`'s concern; with the same keys, what is written still
changes when the class's validators, serializers, computed fields, `model_config`, post-init
hook or a field's annotation change (`int` to `float` writes `1` as `1.0`): restate-server
1.7.12 with restate-sdk 1.3.0 reports 570 at the set for each (tests/replay: p134-p136, p138).
Whether the bytes change depends on the value (a validator that lower-cases a string of digits
changes none), so such a change is never a certain break: `rea diff` says unknown and names it.

A `Part` is one such piece of a class, bases' first. Plain methods and properties are not parts
(they run only when code calls them, and a fingerprint counts them there), nor are docstrings
and descriptions. A field's default is one that counts only for the handler's input: a request
may leave the field out (p140, p141), where a value the SDK wrote holds every key. A field's part
also holds the code of the classes its annotation names (`Part.held`): what a field read counts
by (`field_code`, p143, p147), and what an instance used whole counts by (`whole_code`: `str(q)`,
`[i.model_dump() for i in cart.items]`, p142, p145, p146).
"""

from __future__ import annotations

import ast
import hashlib
from typing import NamedTuple

from rea_lint.data_classes import NOT_CLASSES, ClassLookup, config_items, decoder_kind, default_of, is_classvar, qual_of
from rea_lint.journal.fingerprint import Imported, code_digest, method_code
from rea_lint.model import Model

__all__ = ["Part", "class_code", "code_change", "field_code", "whole_code"]

_READ_DECORATORS = frozenset({
    "pydantic.field_validator", "pydantic.model_validator", "pydantic.validator", "pydantic.root_validator",
    "pydantic.functional_validators.field_validator", "pydantic.functional_validators.model_validator",
})
"""Decorators whose method runs when a value is decoded or made: it decides what the value holds."""
_FIELD_VALIDATORS = frozenset({"pydantic.field_validator", "pydantic.validator", "pydantic.functional_validators.field_validator"})
"""Those of them that name the fields they run on."""
_WRITE_DECORATORS = frozenset({
    "pydantic.field_serializer", "pydantic.model_serializer", "pydantic.computed_field", "pydantic.fields.computed_field",
    "pydantic.functional_serializers.field_serializer", "pydantic.functional_serializers.model_serializer",
})
"""Decorators whose method runs when a value is written: it decides the bytes, not what the value holds."""
_READ_METHODS = frozenset({"__init__", "__post_init__", "model_post_init", "__get_pydantic_core_schema__"})
"""Methods that run when a value is made (pydantic and dataclasses call them on decoding too)."""


class Part(NamedTuple):
    """One piece of a class's value code."""

    key: str
    """What it is, the same on both sides of a change: `field price`, `def normalized`, `config`."""
    text: str
    """How a message names it: a method's name and place (a field's annotation: `shown`)."""
    digest: str
    """Its code as `ast.unparse` writes it (a definition's hashed, `code_digest`): positions,
    comments and layout left out."""
    role: str
    """`field` (a field's annotation), `default` (a field's default: what a request that leaves the
    field out holds), `read` (it decides what a value holds: a validator, the config,
    `__post_init__`) or `write` (only the bytes a dump writes: a serializer, a computed field)."""
    fields: tuple[str, ...] = ()
    """The fields it is about (a field's own name; those a field validator names); () for all."""
    node: ast.expr | None = None
    """A field's annotation or default (written out only for a message: most are never named)."""
    held: str = ""
    """A field's: the digest of the whole code (`whole_code`) of the project classes its annotation
    names (`address: Address`, `items: list[Item]`), "" for none. A value read from the field, or
    through it (`order.address.city`), is decoded with their code too."""

    @property
    def shown(self) -> str:
        return ast.unparse(self.node) if self.node is not None else self.text


def class_code(model: Model, cls: ast.ClassDef, path: str, lookup: ClassLookup, turn: object = None, depth: int = 0,
               within: frozenset[int] = frozenset(), imported: Imported | None = None) -> tuple[Part, ...]:
    """The value code of ``cls`` (in ``model``'s module, at ``path``), bases' first, as far as
    ``lookup`` finds the bases; read once per class and ``turn`` (`Decoding.of`'s). ``within``: the
    classes whose fields are being read around this one (a class that holds itself, or one that
    holds it, is named there, not read again); one reading per place in that nesting, so a
    class's code is the same text whichever class was read first. ``imported`` finds the
    project's functions a method calls through an import (`code_reach`: a validator calling
    `text_utils.normalized` computes with it), one resolver per ``turn``."""
    key = ("class-code", id(cls), turn, within)
    found = model.memo.get(key)
    if found is None:
        found = model.memo[key] = _read(model, cls, path, lookup, turn, depth, within, imported)
    return found


def whole_code(name: str, parts: tuple[Part, ...], defaults: bool = False) -> str:
    """The digest of everything in ``parts`` (the value code of the class ``name``) that decides
    what an instance holds and writes: its fields and their annotations, the code that reads and
    writes them, and the classes they hold; its defaults too with ``defaults`` (the handler's
    input). What a value used whole (`str(order)`, `json.dumps(order.model_dump())`) counts by.
    (The name keeps two classes of the same fields apart in a message, `code_names.name_digest`.)"""
    text = name + "\0" + "\0".join(f"{p.key}\1{p.digest}\1{p.held}" for p in parts if defaults or p.role != "default")
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def field_code(parts: tuple[Part, ...], name: str, defaults: bool = False, held: bool = True) -> str | None:
    """The digest of what decides the value of field ``name`` of an instance (`order.price`): its
    annotation and the code that runs when a value is decoded or made, for that field or for
    all, with ``defaults`` (the handler's input: a caller may leave the field out) its default,
    and with ``held`` the whole code of the classes it holds (`Part.held`); None if ``name`` is
    not a field the parts declare."""
    if not any(p.role == "field" and p.fields == (name,) for p in parts):
        return None
    own = ("field", "default") if defaults else ("field",)
    read = [p.digest + (p.held if held else "") for p in parts if (p.role in own and p.fields == (name,))
            or (p.role == "read" and (not p.fields or name in p.fields or "*" in p.fields))]
    return hashlib.sha1("\0".join(read).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _read(model: Model, cls: ast.ClassDef, path: str, lookup: ClassLookup, turn: object, depth: int,
          within: frozenset[int], imported: Imported | None) -> tuple[Part, ...]:
    parts: dict[str, Part] = {}
    inside = within | {id(cls)}
    if depth < 8:
        for base in cls.bases:
            found = lookup(model, path, base)
            if found is not None:
                for part in class_code(found[0], found[1], found[2], lookup, turn, depth + 1, inside, imported):
                    parts[part.key] = part
    parts.update((p.key, p) for p in _config([(k.arg, k.value) for k in cls.keywords]))
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            if name == "model_config":
                parts.update((p.key, p) for p in _config_of(model, stmt.value))
            elif not name.startswith("_") and not is_classvar(model, stmt.annotation):
                parts[f"field {name}"] = Part(f"field {name}", "", _spelled(model, stmt.annotation), "field", (name,), stmt.annotation,
                                              _held(model, path, stmt.annotation, lookup, turn, inside, imported))
                default, factory = default_of(model, stmt.value) if stmt.value is not None else (None, None)
                made = default if default is not None else factory
                if made is not None:  # (`= "EUR"`, `Field(default="EUR", description=...)`, a factory: not the description)
                    digest = repr(made.value) if isinstance(made, ast.Constant) else ast.unparse(made)
                    parts[f"default {name}"] = Part(f"default {name}", "", ("factory " if default is None else "") + digest, "default",
                                                    (name,), made)
                else:
                    parts.pop(f"default {name}", None)
        elif isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets):
            parts.update((p.key, p) for p in _config_of(model, stmt.value))
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":  # (pydantic v1's)
            parts["config"] = Part("config", f"`Config` ({path}:{stmt.lineno})", code_digest(model, stmt, path), "read")
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found_role = _role(model, stmt)
            if found_role is not None:
                role, fields = found_role
                parts[f"def {stmt.name}"] = Part(f"def {stmt.name}", f"`{stmt.name}` ({path}:{stmt.lineno})",
                                                 method_code(model, stmt, path, imported), role, fields)
    return tuple(parts.values())


def _held(model: Model, path: str, annotation: ast.expr, lookup: ClassLookup, turn: object, within: frozenset[int],
          imported: Imported | None) -> str:
    """`Part.held` for a field annotated ``annotation``: the whole code of each project class it
    names, anywhere in it (`Address`, `list[Item]`, `dict[str, Item] | None`, `"Node"`)."""
    held = []
    for node in _named_in(annotation):
        if (model.qualify(node) or "").startswith(NOT_CLASSES):
            continue
        found = lookup(model, path, node)
        if found is None:
            continue
        if id(found[1]) in within or len(within) > 6:
            held.append(f"{found[1].name}^")  # (a class that holds itself, or one that holds it: its name)
        elif decoder_kind(*found, lookup) is None:
            held.append(code_digest(found[0], found[1], found[2]))  # (an `Enum`, a `TypedDict`: pydantic reads it by its source)
        else:
            held.append(whole_code(found[1].name, class_code(found[0], found[1], found[2], lookup, turn, 0, within, imported)))
    return ",".join(held)


def _named_in(annotation: ast.expr) -> list[ast.expr]:
    """The names and attribute chains in an annotation (`list[models.Item]`: `list`, `models.Item`),
    a string inside it read as what it spells."""
    out: list[ast.expr] = []
    stack = [annotation]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Name, ast.Attribute)):
            out.append(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                stack.append(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                pass
        elif isinstance(node, ast.expr):
            stack.extend(n for n in ast.iter_child_nodes(node) if isinstance(n, ast.expr))
    return out


_UNVALUED_CONFIG = frozenset({
    "title", "json_schema_extra", "json_schema_mode_override", "json_schema_serialization_defaults_required", "protected_namespaces",
    "hide_input_in_errors", "regex_engine", "use_attribute_docstrings", "frozen", "validate_assignment", "from_attributes",
    "defer_build", "plugin_settings", "schema_generator", "cache_strings", "validation_error_cause", "arbitrary_types_allowed",
    "str_max_length", "str_min_length", "allow_inf_nan", "validate_return", "extra",
})
"""`model_config` keys that change no value a field holds and no byte a dump writes (they fail a
decode, or shape the JSON schema; `extra` changes which keys are written: `Writes` reads that)."""
_WRITE_CONFIG = frozenset({"ser_json_timedelta", "ser_json_bytes", "ser_json_inf_nan", "serialize_by_alias", "ser_json_temporal"})
"""`model_config` keys that change only the bytes a dump writes."""


def _config_of(model: Model, value: ast.expr | None) -> list[Part]:
    """The parts of a `model_config = ConfigDict(...)` (or a dict literal, `data_classes.config_items`):
    one per key, or one for the whole of a value rea cannot read key by key."""
    items = config_items(model, value)
    if items is None:
        return [Part("config", "`model_config`", ast.unparse(value) if value is not None else "", "read")]
    return _config(items)


def _config(items: list[tuple[object, ast.expr]]) -> list[Part]:
    """One part per configuration key that changes a value or its bytes (a class's keywords too)."""
    parts = []
    for key, value in items:
        if not isinstance(key, str):
            parts.append(Part("config **", "the class's configuration", ast.unparse(value), "read"))
        elif key not in _UNVALUED_CONFIG:
            role = "write" if key in _WRITE_CONFIG else "read"
            parts.append(Part(f"config {key}", f"`model_config` key `{key}`", ast.unparse(value), role))
    return parts


_ALIASES = {
    "typing.List": "builtins.list", "typing.Dict": "builtins.dict", "typing.Set": "builtins.set", "typing.FrozenSet": "builtins.frozenset",
    "typing.Tuple": "builtins.tuple", "typing.Type": "builtins.type", "typing_extensions.List": "builtins.list",
    "typing_extensions.Dict": "builtins.dict", "typing_extensions.Tuple": "builtins.tuple", "typing_extensions.Optional": "typing.Optional",
    "typing_extensions.Union": "typing.Union",
}
"""Spellings pydantic reads as one type (`List[str]` is `list[str]`)."""


def _spelled(model: Model, annotation: ast.expr, depth: int = 0) -> str:
    """An annotation as the type it names, one text however it is spelled: a name as what it
    names, without its module (`Quote` and `models.Quote`), `typing.List` as `list`, `Optional[X]`,
    `Union[X, None]` and `X | None` as one union, a string annotation as what it spells."""
    if depth > 12:
        return ast.unparse(annotation)
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return _spelled(model, ast.parse(annotation.value, mode="eval").body, depth + 1)
        except SyntaxError:
            return repr(annotation.value)
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        # (by its own name: a class whose module was renamed or moved is the same class, and its
        # own code is not this field's annotation)
        qual = model.qualify(annotation) or ast.unparse(annotation)
        return _ALIASES.get(qual, qual).rpartition(".")[2]
    members = _union(model, annotation)
    if members is not None:  # (None anywhere in it: one type, `None | int` is `int | None`)
        spelled = [_spelled(model, m, depth + 1) for m in members]
        spelled = [m for m in spelled if m != "None"] + ["None"] * ("None" in spelled)
        return "Union[" + ", ".join(spelled) + "]"
    if isinstance(annotation, ast.Subscript):
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        return _spelled(model, annotation.value, depth + 1) + "[" + ", ".join(_spelled(model, i, depth + 1) for i in items) + "]"
    if isinstance(annotation, (ast.List, ast.Tuple)):
        return "[" + ", ".join(_spelled(model, i, depth + 1) for i in annotation.elts) + "]"
    if isinstance(annotation, ast.Constant):
        return repr(annotation.value)  # (`None`, `Literal["a"]`'s items)
    return ast.unparse(annotation)


def _union(model: Model, annotation: ast.expr) -> list[ast.expr] | None:
    """The members of a union however it is spelled, flattened (`A | B | None`, `Optional[A]`), else None."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [*(_union(model, annotation.left) or [annotation.left]), *(_union(model, annotation.right) or [annotation.right])]
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, (ast.Name, ast.Attribute)):
        head = _ALIASES.get(model.qualify(annotation.value) or "", model.qualify(annotation.value))
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if head == "typing.Optional" and len(items) == 1:
            return [*(_union(model, items[0]) or [items[0]]), ast.Constant(None)]
        if head == "typing.Union":
            return [m for i in items for m in (_union(model, i) or [i])]
    return None


def _role(model: Model, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, tuple[str, ...]] | None:
    """A method's `Part.role` and fields, or None for one that runs only when code calls it."""
    if fn.name in _READ_METHODS:
        return "read", ()
    role = None
    for deco in fn.decorator_list:
        qual = qual_of(model, deco.func if isinstance(deco, ast.Call) else deco)
        given = deco.args if isinstance(deco, ast.Call) else []
        named = [a.value for a in given if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if qual in _FIELD_VALIDATORS and named and len(named) == len(given):
            return "read", tuple(named)
        if qual in _READ_DECORATORS:
            return "read", ()
        if qual in _WRITE_DECORATORS:
            role = "write"
    return (role, ()) if role is not None else None


def code_change(old: tuple[Part, ...], new: tuple[Part, ...], defaults: bool = False) -> tuple[str, str] | None:
    """What changed in a class's value code, in words ("field `price` is now annotated `float`
    where it was `int`", "`normalized` (app.py:14) changed"), and when the bytes are the same
    after all; or None. A field added or removed
    is the keys' concern, not this: only the parts both sides have, or code added or removed.
    A default counts with ``defaults`` (the handler's input: a request may leave the field out;
    a value the SDK wrote holds every key)."""
    if len(old) == len(new) and all(a.key == b.key and a.digest == b.digest for a, b in zip(old, new)):
        return None  # (the same code: what every unchanged class gives, at every comparison)
    before = {p.key: p for p in old}
    after = {p.key: p for p in new}
    said: list[str] = []
    left_out: list[str] = []
    """The fields whose default changed: a request that gave them holds what it gave."""
    for key, part in after.items():
        was = before.get(key)
        if part.role in ("field", "default"):
            if was is not None and was.digest != part.digest and part.role == "field":
                said.append(f"field `{key[6:]}` is now annotated `{part.shown}` where it was `{was.shown}`")
            elif was is not None and was.digest != part.digest and defaults:
                said.append(f"field `{key[8:]}` now defaults to `{part.shown}` where it defaulted to `{was.shown}`")
                left_out.append(key[8:])
        elif was is None:
            said.append(f"{part.text} is new")
        elif was.digest != part.digest:
            said.append(f"{part.text} changed")
    said += [f"{p.text} is gone" for key, p in before.items() if key not in after and p.role not in ("field", "default")]
    if not said:
        return None
    more = f" (and {len(said) - 2} more)" if len(said) > 2 else ""
    if left_out and len(left_out) == len(said):
        unless = "every request in flight gave " + " and ".join(f"`{f}`" for f in left_out)
    else:
        unless = "that change leaves the bytes written for this value as they were"
    return " and ".join(said[:2]) + more, unless
