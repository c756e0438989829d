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
from dataclasses import dataclass
from typing import Callable

from rea_lint.model import Model

__all__ = ["Decoding", "decode_break"]

ClassLookup = Callable[[Model, str, ast.expr], "tuple[Model, ast.ClassDef, str] | None"]
"""(a module's model, its file, an expression naming a class at its top level) -> the class's
module's model, its definition and its file; None when it is not a class of the project."""

_UNREAD = object()
_NOT_CLASSES = ("builtins.", "typing.", "typing_extensions.", "datetime.", "decimal.", "uuid.", "enum.", "pydantic.")
"""Where a field's annotation names no project class (not looked up)."""
_PYDANTIC_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
_DATACLASS = frozenset({"dataclasses.dataclass"})
_FIELD = {"pydantic.Field": "pydantic", "pydantic.fields.Field": "pydantic", "dataclasses.field": "dataclass"}
_CLASSVAR = frozenset({"typing.ClassVar", "typing_extensions.ClassVar"})
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})
_METHOD_DECORATORS = frozenset({
    "builtins.property", "builtins.staticmethod", "builtins.classmethod", "functools.cached_property",
    "pydantic.field_validator", "pydantic.field_serializer",
})
"""Decorators of a method that leave which keys a value must hold as they are (a field
validator runs on a value given; `model_validator`, `root_validator` and `validator(always=...)`
can fill a missing one in, `model_serializer` and `computed_field` write other keys)."""
_UNTOUCHED_METHODS = ("__init__", "__new__", "__init_subclass__", "model_validate", "model_validate_json", "model_construct",
                      "__get_pydantic_core_schema__", "__class_getitem__")
_CONFIG_KEYS = frozenset({
    "extra", "frozen", "strict", "str_strip_whitespace", "str_to_lower", "str_to_upper", "str_min_length", "str_max_length",
    "arbitrary_types_allowed", "use_enum_values", "validate_assignment", "title", "from_attributes", "populate_by_name",
    "protected_namespaces", "json_schema_extra", "revalidate_instances", "validate_default", "ser_json_timedelta",
    "ser_json_bytes", "ser_json_inf_nan", "coerce_numbers_to_str", "regex_engine", "hide_input_in_errors", "use_attribute_docstrings",
})
"""`model_config` keys that change neither the keys a value must hold nor the keys a dump writes
(`alias_generator`, `validate_by_alias` and the like rename them: rea says nothing then)."""


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

    @staticmethod
    def of(model: Model, path: str, name: ast.expr, lookup: ClassLookup, turn: object = None, depth: int = 0) -> "Decoding | None":
        """The decoding ``name`` (a class named in the module of ``model``, at ``path``) stands for, or None.

        A class is read once per ``turn`` (the file whose handlers are being shaped): each turn
        must look its bases' modules up itself, since `rea diff` reuses a file's shapes on the
        other side only if every module its turn looked up is the same there."""
        found = lookup(model, path, name)
        if found is None:
            return None
        cls_model, cls, cls_path = found
        key = ("decoding-read", id(cls), turn)
        read = cls_model.memo.get(key, _UNREAD)  # (a class is read once per model, however often it is named)
        if read is _UNREAD:
            read = cls_model.memo[key] = _read(cls_model, cls, cls_path, lookup, depth=0)
        if read is None:
            return None
        kind, fields, defaults, optional, forbid, direct = read
        nested: dict[str, Decoding] = {}
        if depth < 4:  # (a model that holds itself: `parent: Node`)
            for field_name, annotation in direct.items():
                inner = Decoding.of(cls_model, cls_path, annotation, lookup, turn, depth + 1)
                if inner is not None:
                    nested[field_name] = inner
        if kind == "pydantic":
            required = tuple(f for f in fields if not defaults[f])
        else:
            required = tuple(f for f in fields if not defaults[f] and not optional[f])
        return Decoding(ast.unparse(name), f"{cls_path}:{cls.lineno}", kind, tuple(fields), required, defaults, forbid, nested)


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
    if not missing and not extra:
        # a field the old class required to hold an old instance of a class holds one in every value
        for field_name, inner in new.nested.items():
            held = old.nested.get(field_name)
            if held is not None and not old.defaults.get(field_name, True):
                why = decode_break(held, inner, value)
                if why is not None:
                    return f"decoded as `{new.name}` ({new.where}), whose field `{field_name}` is {why}"
        return None
    error = "pydantic ValidationError" if new.kind == "pydantic" else "dacite MissingValueError"
    if missing:
        fields = ", ".join(f"`{f}`" for f in missing)
        it = "them" if len(missing) > 1 else "it"
        had = f"`{old.name}` ({old.where}) then" if old.name != new.name else f"the old `{old.name}` ({old.where})"
        head = f"decoded as `{new.name}` ({new.where}), which requires the field{'s' * (len(missing) > 1)} {fields} that {had} did not have"
        lacks = {"result": f"the values the old code journaled lack {it}",
                 "state": f"a value written from the old `{old.name}` lacks {it}",
                 "call": f"a result the called handler returned as the old `{old.name}` lacks {it}",
                 "input": f"a request sent for the old `{old.name}` lacks {it}"}[value]
        fix = ("give it a default" if len(missing) == 1 else "give them defaults") + (
            " (pydantic: `= None` or `Field(default=...)`; an Optional annotation alone is still required)"
            if new.kind == "pydantic" else " (or make it Optional)")
    else:
        fields = ", ".join(f"`{f}`" for f in extra)
        head = f"decoded as `{new.name}` ({new.where}), which forbids keys it does not declare (`extra=\"forbid\"`)"
        lacks = {"result": f"the values the old code journaled hold {fields} (`{old.name}`, {old.where})",
                 "state": f"a value written from the old `{old.name}` ({old.where}) holds {fields}",
                 "call": f"a result the called handler returned as the old `{old.name}` ({old.where}) holds {fields}",
                 "input": f"a request sent for the old `{old.name}` ({old.where}) may hold {fields}"}[value]
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


_Read = tuple[str, list[str], dict[str, bool], dict[str, bool], bool, dict[str, ast.expr]]
"""(kind, fields in order, field -> has a default, field -> Optional, forbids extra, field -> the
class name it is annotated with, for the class's own fields annotated with a bare name)."""


def _read(model: Model, cls: ast.ClassDef, path: str, lookup: ClassLookup, depth: int) -> _Read | None:
    """The class's fields as the SDK's decoder sees them; None where rea cannot be sure."""
    if depth > 8 or getattr(cls, "type_params", None):
        return None  # (a generic class: `class Page[T](BaseModel)`)
    dataclass_deco = [d for d in cls.decorator_list if _qual(model, d.func if isinstance(d, ast.Call) else d) in _DATACLASS]
    if len(dataclass_deco) != len(cls.decorator_list):
        return None  # another decorator may change the class
    kind = "dataclass" if dataclass_deco else "pydantic"
    if dataclass_deco and isinstance(dataclass_deco[0], ast.Call) and any(k.arg == "init" for k in dataclass_deco[0].keywords):
        return None
    fields: list[str] = []
    defaults: dict[str, bool] = {}
    optional: dict[str, bool] = {}
    forbid = False
    inherited = False
    direct: dict[str, ast.expr] = {}
    for base in cls.bases:
        qual = _qual(model, base)
        if kind == "pydantic" and qual in _PYDANTIC_BASES:
            inherited = True
            continue
        if qual == "builtins.object":
            continue
        found = lookup(model, path, base)
        if found is None:
            return None
        base_read = _read(found[0], found[1], found[2], lookup, depth + 1)
        if base_read is None or base_read[0] != kind:
            return None
        inherited = True
        for f in base_read[1]:
            if f not in defaults:
                fields.append(f)
            defaults[f], optional[f] = base_read[2][f], base_read[3][f]
        forbid = forbid or base_read[4]
    if kind == "pydantic" and not inherited:
        return None  # not a model rea can see
    for kw in cls.keywords:
        if kind == "dataclass" or kw.arg not in _CONFIG_KEYS:
            return None
        if kw.arg == "extra":
            if not (isinstance(kw.value, ast.Constant) and kw.value.value in ("forbid", "ignore", "allow")):
                return None
            forbid = kw.value.value == "forbid"
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign):
            if not isinstance(stmt.target, ast.Name):
                return None
            name = stmt.target.id
            if name == "model_config" and kind == "pydantic":
                config = _config(model, stmt.value) if stmt.value is not None else None
                if config is None:
                    return None
                if "extra" in config:
                    forbid = config["extra"] == "forbid"
                continue
            if _is_classvar(model, stmt.annotation):
                continue
            if kind == "pydantic" and name.startswith("_"):
                continue  # a private attribute, not a field
            has_default = _has_default(model, stmt.value, kind)
            if has_default is None:
                return None
            if name not in defaults:
                fields.append(name)
            defaults[name], optional[name] = has_default, _is_optional(model, stmt.annotation)
            annotation = stmt.annotation
            plain = isinstance(annotation, (ast.Name, ast.Attribute)) and not (_qual(model, annotation) or "").startswith(_NOT_CLASSES)
            if plain:
                direct[name] = annotation  # (a class of the project's, if it is one: `Decoding.of` looks)
            else:
                direct.pop(name, None)
        elif isinstance(stmt, ast.Assign):
            if kind == "dataclass" or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                return None
            if stmt.targets[0].id != "model_config":
                return None  # (pydantic refuses a field without an annotation; a non-field is not worth guessing)
            config = _config(model, stmt.value)
            if config is None:
                return None
            if "extra" in config:
                forbid = config["extra"] == "forbid"
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if stmt.name in _UNTOUCHED_METHODS or (kind == "pydantic" and stmt.name.startswith("model_") and stmt.name != "model_post_init"):
                return None
            for deco in stmt.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if _qual(model, target) not in _METHOD_DECORATORS and not (
                        isinstance(target, ast.Attribute) and target.attr in ("setter", "getter", "deleter")):
                    return None
        elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        else:
            return None  # a nested class (pydantic v1's `class Config`), a statement rea does not read
    return kind, fields, defaults, optional, forbid, direct


def _qual(model: Model, node: ast.expr) -> str | None:
    return model.qualify(node) if isinstance(node, (ast.Name, ast.Attribute)) else None


def _is_classvar(model: Model, annotation: ast.expr) -> bool:
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return _qual(model, head) in _CLASSVAR


def _is_optional(model: Model, annotation: ast.expr) -> bool:
    """`Optional[X]`, `X | None`, `Union[X, None]`: dacite fills a missing one with None."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return any(isinstance(side, ast.Constant) and side.value is None for side in (annotation.left, annotation.right)) or (
            _is_optional(model, annotation.left) or _is_optional(model, annotation.right))
    if isinstance(annotation, ast.Subscript):
        head = _qual(model, annotation.value)
        if head in _OPTIONAL:
            return True
        if head in _UNION:
            items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            return any(isinstance(i, ast.Constant) and i.value is None for i in items)
    return False


def _has_default(model: Model, value: ast.expr | None, kind: str) -> bool | None:
    """Whether a field declared with ``value`` has a default; None when rea cannot tell (an
    alias renames its key, a call it does not know)."""
    if value is None:
        return False
    if isinstance(value, ast.Constant) and value.value is Ellipsis:
        return False if kind == "pydantic" else True
    if not isinstance(value, ast.Call):
        return True
    maker = _FIELD.get(_qual(model, value.func) or "")
    if maker is None:
        return True  # a default made by a call (`datetime.now()`, `Decimal("0")`)
    if maker != kind:
        return None
    keys = {k.arg for k in value.keywords}
    if None in keys or any(k in keys for k in ("alias", "validation_alias", "exclude", "init", "init_var")):
        return None
    if "default" in keys or "default_factory" in keys:
        default = next(k.value for k in value.keywords if k.arg == "default") if "default" in keys else None
        return not (isinstance(default, ast.Constant) and default.value is Ellipsis)
    if kind == "pydantic" and value.args:
        first = value.args[0]
        return not (isinstance(first, ast.Constant) and first.value is Ellipsis)
    return False


def _config(model: Model, value: ast.expr) -> dict[str, object] | None:
    """`ConfigDict(extra="forbid")` or `{"extra": "forbid"}` as a dict; None if rea cannot read it
    or it names a key that renames fields."""
    out: dict[str, object] = {}
    if isinstance(value, ast.Call) and _qual(model, value.func) in ("pydantic.ConfigDict", "pydantic.config.ConfigDict") and not value.args:
        pairs = [(k.arg, k.value) for k in value.keywords]
    elif isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
        pairs = [(k.value, v) for k, v in zip(value.keys, value.values)]  # type: ignore[union-attr]
    else:
        return None
    for key, item in pairs:
        if key not in _CONFIG_KEYS:
            return None
        if key == "extra":
            if not (isinstance(item, ast.Constant) and item.value in ("forbid", "ignore", "allow")):
                return None
            out["extra"] = item.value
    return out
