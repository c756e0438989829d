"""pydantic models and dataclasses as their source declares them, read where rea can be sure.

Two questions need a class's fields exactly: which keys a journaled value must hold to decode
(`rea diff`, `journal.decoding`), and which fields a constructor call fills in with a
`default_factory` (the linter: `Order(item=x)` in handler code runs `Order.id`'s `uuid4` there,
`default_factories`). `read_class` answers both from one reading, and gives None wherever a
class could hold or make its fields some other way: an alias, a validator that may fill a
field in, a custom `__init__`, another decorator, a base it cannot read.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Callable, NamedTuple

from rea_lint.model import Model

__all__ = ["NEVER_TAKES", "NOT_CLASSES", "ClassLookup", "ClassRead", "FieldKind", "config_items", "decoder_kind", "default_of",
           "is_classvar", "optional_of", "read_class", "qual_of"]

ClassLookup = Callable[[Model, str, ast.expr], "tuple[Model, ast.ClassDef, str] | None"]
"""(a module's model, its file, an expression naming a class at its top level) -> the class's
module's model, its definition and its file; None when it is not a class of the project."""

NOT_CLASSES = ("builtins.", "typing.", "typing_extensions.", "collections.", "datetime.", "decimal.", "uuid.", "enum.", "pydantic.")
"""Where a name in a field's annotation names no project class (not looked up)."""
_PYDANTIC_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
_DATACLASS = frozenset({"dataclasses.dataclass"})
_FIELD = {"pydantic.Field": "pydantic", "pydantic.fields.Field": "pydantic", "dataclasses.field": "dataclass"}
_CLASSVAR = frozenset({"typing.ClassVar", "typing_extensions.ClassVar"})
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})
_FIELD_HOOKS = frozenset({"pydantic.field_validator", "pydantic.field_serializer"})
"""Decorators that may change what a field takes or what a dump writes for it."""
_METHOD_DECORATORS = frozenset({
    "builtins.property", "builtins.staticmethod", "builtins.classmethod", "functools.cached_property",
    "pydantic.field_validator", "pydantic.field_serializer",
})
"""Decorators of a method that leave which keys a value must hold as they are (a field
validator runs on a value given; `model_validator` (but `mode="after"`), `root_validator` and
`validator(always=...)` can fill a missing one in, `model_serializer` writes other keys;
`computed_field` is read apart)."""
_MODEL_VALIDATORS = frozenset({"pydantic.model_validator", "pydantic.functional_validators.model_validator"})
_COMPUTED_FIELD = frozenset({"pydantic.computed_field", "pydantic.fields.computed_field"})
_COMPUTED_KEYWORDS = frozenset({"repr", "return_type", "description", "title", "examples", "json_schema_extra", "deprecated"})
"""`computed_field(...)` arguments that leave the key it writes as the property's name (not `alias`)."""
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
class FieldKind:
    """What JSON a field holds, as far as its annotation says for certain."""

    kind: str | None
    """`string`, `integer`, `number`, `boolean`, `array` or `object` (a model held by the field is
    one: `Decoding.of` says so); None: rea cannot tell (a union, `Any`, an enum, `Decimal` ...)."""
    nullable: bool
    """Annotated Optional: the field may hold null."""
    annotation: ast.expr = field(repr=False, compare=False)
    """(Not in the repr: a node's repr names its address, and shapes are compared by repr.)"""

    @property
    def text(self) -> str:
        """The annotation as written (made when a message needs it: most fields are never named)."""
        return ast.unparse(self.annotation)


class ClassRead(NamedTuple):
    """A class's fields, bases' first, as its source declares them."""

    kind: str
    """`pydantic` or `dataclass`."""
    fields: list[str]
    defaults: dict[str, bool]
    """Field -> whether it has a default."""
    optional: dict[str, bool]
    """Field -> whether it is annotated Optional (dacite fills a missing one with None)."""
    forbids_extra: bool
    direct: dict[str, ast.expr]
    """Field -> the class name it is annotated with, for the class's own fields annotated with a bare name."""
    held: dict[str, ast.expr]
    """Field -> the class name inside its annotation, for the class's own fields that may hold
    instances of one class or none (`list[Item]`, `Address | None`, `dict[str, Item]`)."""
    kinds: dict[str, "FieldKind"]
    """Field -> the JSON value its annotation takes and a dump of it writes (`FieldKind`); every
    kind unknown where a field validator or serializer, or `coerce_numbers_to_str`, may change that."""
    factories: dict[str, ast.expr]
    """Field -> its `default_factory` (`Field(default_factory=uuid4)`), for the fields declared in the
    class's own module (a base's from another module are not kept: their names mean what that
    module imports); a field the class declares again without one has none. (No model is kept
    here: a read is memoised in a model, and would hold it in a cycle.)"""
    allows_extra: bool = False
    """`extra="allow"`: a value keeps the keys it was given that the class does not declare, and
    its dump writes them too."""
    values: dict[str, ast.expr] = {}
    """Field -> the expression of its default (`= "EUR"`, `Field(default="EUR")`, `field(default=0)`),
    for a field with a default that is not made by a `default_factory`."""
    serialized: frozenset[str] = frozenset()
    """The fields a `field_serializer` of the class's own writes (`*`: any): a dump writes what it
    returns, not the keys of a model the field holds."""
    computed: tuple[str, ...] = ()
    """The `computed_field` properties, bases' first: a dump writes each as a key after the fields
    (a value given for one is not read back: not a field)."""


def read_class(model: Model, cls: ast.ClassDef, path: str, lookup: ClassLookup, depth: int = 0) -> ClassRead | None:
    """The class's fields as its constructor and the SDK's decoder see them; None where rea cannot
    be sure. ``lookup`` finds a base named in the class's module (None: the class is not read)."""
    if depth > 8 or getattr(cls, "type_params", None):
        return None  # (a generic class: `class Page[T](BaseModel)`)
    dataclass_deco = [d for d in cls.decorator_list if qual_of(model, d.func if isinstance(d, ast.Call) else d) in _DATACLASS]
    if len(dataclass_deco) != len(cls.decorator_list):
        return None  # another decorator may change the class
    kind = "dataclass" if dataclass_deco else "pydantic"
    if dataclass_deco and isinstance(dataclass_deco[0], ast.Call) and any(k.arg == "init" for k in dataclass_deco[0].keywords):
        return None
    fields: list[str] = []
    defaults: dict[str, bool] = {}
    optional: dict[str, bool] = {}
    forbid = allow = False
    inherited = False
    direct: dict[str, ast.expr] = {}
    held: dict[str, ast.expr] = {}
    serialized: set[str] = set()
    computed: list[str] = []
    factories: dict[str, ast.expr] = {}
    values: dict[str, ast.expr] = {}
    kinds: dict[str, FieldKind] = {}
    loose = False
    """A field validator or serializer, or `coerce_numbers_to_str`: what a field takes or writes may
    not be what its annotation says."""
    for base in cls.bases:
        qual = qual_of(model, base)
        if kind == "pydantic" and qual in _PYDANTIC_BASES:
            inherited = True
            continue
        if qual == "builtins.object":
            continue
        found = lookup(model, path, base)
        if found is None:
            return None
        base_read = read_class(found[0], found[1], found[2], lookup, depth + 1)
        if base_read is None or base_read.kind != kind:
            return None
        inherited = True
        for f in base_read.fields:
            if f not in defaults:
                fields.append(f)
            defaults[f], optional[f] = base_read.defaults[f], base_read.optional[f]
            kinds[f] = base_read.kinds[f]
            if f in base_read.values:
                values[f] = base_read.values[f]
        if found[0] is model:
            factories.update(base_read.factories)
        else:
            for f in base_read.factories:
                factories.pop(f, None)
        forbid = forbid or base_read.forbids_extra
        allow = allow or base_read.allows_extra
        computed += [c for c in base_read.computed if c not in computed]
    if kind == "pydantic" and not inherited:
        return None  # not a model rea can see
    for kw in cls.keywords:
        if kind == "dataclass" or kw.arg not in _CONFIG_KEYS:
            return None
        loose = loose or kw.arg == "coerce_numbers_to_str"
        if kw.arg == "extra":
            if not (isinstance(kw.value, ast.Constant) and kw.value.value in ("forbid", "ignore", "allow")):
                return None
            forbid, allow = kw.value.value == "forbid", kw.value.value == "allow"
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
                    forbid, allow = config["extra"] == "forbid", config["extra"] == "allow"
                loose = loose or "coerce_numbers_to_str" in config
                continue
            if is_classvar(model, stmt.annotation):
                continue
            if kind == "pydantic" and name.startswith("_"):
                continue  # a private attribute, not a field
            has_default = _has_default(model, stmt.value, kind)
            if has_default is None:
                return None
            if name not in defaults:
                fields.append(name)
            defaults[name], optional[name] = has_default, _is_optional(model, stmt.annotation)
            kinds[name] = _kind(model, stmt.annotation, optional[name], stmt.value)
            value, factory = default_of(model, stmt.value)
            if factory is not None:
                factories[name] = factory
            else:
                factories.pop(name, None)
            if value is not None and has_default:
                values[name] = value
            else:
                values.pop(name, None)
            annotation = stmt.annotation
            plain = isinstance(annotation, (ast.Name, ast.Attribute)) and not (qual_of(model, annotation) or "").startswith(NOT_CLASSES)
            if plain:
                direct[name] = annotation  # (a class of the project's, if it is one: `Decoding.of` looks)
            else:
                direct.pop(name, None)
            inside = None if plain else _held_class(model, annotation)
            if inside is not None:
                held[name] = inside
            else:
                held.pop(name, None)
        elif isinstance(stmt, ast.Assign):
            if kind == "dataclass" or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                return None
            if stmt.targets[0].id != "model_config":
                return None  # (pydantic refuses a field without an annotation; a non-field is not worth guessing)
            config = _config(model, stmt.value)
            if config is None:
                return None
            if "extra" in config:
                forbid, allow = config["extra"] == "forbid", config["extra"] == "allow"
            loose = loose or "coerce_numbers_to_str" in config
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if stmt.name in _UNTOUCHED_METHODS or (kind == "pydantic" and stmt.name.startswith("model_") and stmt.name != "model_post_init"):
                return None
            for deco in stmt.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if qual_of(model, target) in _COMPUTED_FIELD and kind == "pydantic":
                    if isinstance(deco, ast.Call) and (deco.args or any(k.arg not in _COMPUTED_KEYWORDS for k in deco.keywords)):
                        return None  # (`alias=`: another key; a positional argument, rea does not read)
                    if stmt.name not in computed:
                        computed.append(stmt.name)
                    continue
                loose = loose or qual_of(model, target) in _FIELD_HOOKS
                if qual_of(model, target) == "pydantic.field_serializer":  # (what it writes for these fields is its own)
                    named = [a.value for a in deco.args if isinstance(a, ast.Constant) and isinstance(a.value, str)] if isinstance(deco, ast.Call) else []
                    every = not named or "*" in named or (isinstance(deco, ast.Call) and len(named) != len(deco.args))
                    serialized.update({"*"} if every else named)
                if _after_validator(model, deco):
                    loose = True  # (it may set a field to anything: what each holds is its concern, `class_code`'s)
                    continue
                if qual_of(model, target) not in _METHOD_DECORATORS and not (
                        isinstance(target, ast.Attribute) and target.attr in ("setter", "getter", "deleter")):
                    return None
        elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        else:
            return None  # a nested class (pydantic v1's `class Config`), a statement rea does not read
    if loose:
        kinds = {f: replace(k, kind=None) for f, k in kinds.items()}
    if computed and forbid:
        return None  # (whether `extra="forbid"` takes a dump's computed keys back, rea does not say)
    computed = [c for c in computed if c not in defaults]
    return ClassRead(kind, fields, defaults, optional, forbid, direct, held, kinds, factories, allow, values, frozenset(serialized),
                     tuple(computed))


def decoder_kind(model: Model, cls: ast.ClassDef, path: str, lookup: ClassLookup, depth: int = 0) -> str | None:
    """`pydantic` for a pydantic model, `dataclass` for a dataclass, whether or not `read_class`
    can list its fields: the classes whose code restate-sdk's default serde decodes a value with
    (a `TypedDict`, an `Enum` or a plain class it reads as plain JSON); else None."""
    if any(qual_of(model, d.func if isinstance(d, ast.Call) else d) in _DATACLASS for d in cls.decorator_list):
        return "dataclass"
    for base in cls.bases:
        if qual_of(model, base) in _PYDANTIC_BASES:
            return "pydantic"
        found = lookup(model, path, base) if depth < 8 else None
        if found is not None and decoder_kind(found[0], found[1], found[2], lookup, depth + 1) == "pydantic":
            return "pydantic"
    return None


def _after_validator(model: Model, deco: ast.expr) -> bool:
    """`@model_validator(mode="after")`: it runs on an instance made from every field, so a value
    must hold the same keys to decode, and it has the same fields to dump (a `mode="before"` or
    `"wrap"` one may fill a missing key in, and is not read)."""
    return (isinstance(deco, ast.Call) and qual_of(model, deco.func) in _MODEL_VALIDATORS and not deco.args
            and len(deco.keywords) == 1 and deco.keywords[0].arg == "mode"
            and isinstance(deco.keywords[0].value, ast.Constant) and deco.keywords[0].value.value == "after")


def qual_of(model: Model, node: ast.expr) -> str | None:
    """The qualified name a name or attribute chain stands for in the module of ``model``."""
    return model.qualify(node) if isinstance(node, (ast.Name, ast.Attribute)) else None


_CONTAINERS = frozenset({
    "builtins.list", "typing.List", "typing.Sequence", "collections.abc.Sequence", "builtins.tuple", "typing.Tuple",
    "builtins.dict", "typing.Dict", "typing.Mapping", "collections.abc.Mapping",
})
"""Annotations whose values pydantic dumps item by item (a dict's values), each with its own class's keys."""


def _held_class(model: Model, annotation: ast.expr, depth: int = 0) -> ast.expr | None:
    """The one class name a field annotated ``annotation`` may hold instances of, or none:
    `Item` for `list[Item]`, `tuple[Item, ...]`, `dict[str, Item]`, `Address | None`,
    `Optional[list[Item]]`; None for a bare name (`direct`), a union of classes, a string."""
    if depth > 3:
        return None
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        return annotation if depth and not (qual_of(model, annotation) or "").startswith(NOT_CLASSES) else None
    inner = optional_of(model, annotation)
    if inner is not annotation:
        return _held_class(model, inner, depth + 1)
    if not isinstance(annotation, ast.Subscript):
        return None
    head = qual_of(model, annotation.value)
    items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
    if head in ("builtins.tuple", "typing.Tuple"):
        if len(items) != 2 or not (isinstance(items[1], ast.Constant) and items[1].value is Ellipsis):
            return None  # (`tuple[A, B]`: rea reads one class per field)
        items = items[:1]
    elif head in ("builtins.dict", "typing.Dict", "typing.Mapping", "collections.abc.Mapping"):
        if len(items) != 2:
            return None
        items = items[1:]
    if head not in _CONTAINERS or len(items) != 1:
        return None
    return _held_class(model, items[0], depth + 1)


def is_classvar(model: Model, annotation: ast.expr) -> bool:
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return qual_of(model, head) in _CLASSVAR


def _is_optional(model: Model, annotation: ast.expr) -> bool:
    """`Optional[X]`, `X | None`, `Union[X, None]`: dacite fills a missing one with None."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return any(isinstance(side, ast.Constant) and side.value is None for side in (annotation.left, annotation.right)) or (
            _is_optional(model, annotation.left) or _is_optional(model, annotation.right))
    if isinstance(annotation, ast.Subscript):
        head = qual_of(model, annotation.value)
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
    maker = _FIELD.get(qual_of(model, value.func) or "")
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


def default_of(model: Model, value: ast.expr | None) -> tuple[ast.expr | None, ast.expr | None]:
    """What a field declared with ``value`` defaults to: (the default's expression, its
    `default_factory=`). The value itself, or the `default=` (pydantic: or the first argument) of
    `Field(...)`/`field(...)`, whose `default_factory=` is the second."""
    if not isinstance(value, ast.Call) or (qual_of(model, value.func) or "") not in _FIELD:
        return value, None
    default = factory = None
    for kw in value.keywords:
        if kw.arg == "default":
            default = kw.value
        elif kw.arg == "default_factory":
            factory = kw.value
    if default is None and factory is None and value.args:
        default = value.args[0]
    return default, factory


def config_items(model: Model, value: ast.expr | None) -> list[tuple[object, ast.expr]] | None:
    """The (key, value) pairs a `model_config` spells: `ConfigDict(extra="forbid")` or
    `{"extra": "forbid"}`; None for a value rea cannot read key by key (a `**` is a None key)."""
    if isinstance(value, ast.Call) and qual_of(model, value.func) in ("pydantic.ConfigDict", "pydantic.config.ConfigDict") and not value.args:
        return [(k.arg, k.value) for k in value.keywords]
    if isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
        return [(k.value, v) for k, v in zip(value.keys, value.values)]  # type: ignore[union-attr]
    return None


def _config(model: Model, value: ast.expr) -> dict[str, object] | None:
    """`ConfigDict(extra="forbid")` or `{"extra": "forbid"}` as a dict; None if rea cannot read it
    or it names a key that renames fields."""
    out: dict[str, object] = {}
    pairs = config_items(model, value)
    if pairs is None:
        return None
    for key, item in pairs:
        if key not in _CONFIG_KEYS:
            return None
        if key == "extra":
            if not (isinstance(item, ast.Constant) and item.value in ("forbid", "ignore", "allow")):
                return None
            out["extra"] = item.value
        elif key == "coerce_numbers_to_str":
            out[key] = True
    return out


_KINDS = {
    "builtins.str": "string", "builtins.int": "integer", "builtins.float": "number", "builtins.bool": "boolean",
    "builtins.list": "array", "builtins.tuple": "array", "builtins.set": "array", "builtins.frozenset": "array",
    "typing.List": "array", "typing.Tuple": "array", "typing.Set": "array", "typing.FrozenSet": "array",
    "builtins.dict": "object", "typing.Dict": "object",
}
"""Annotations whose JSON is certain: what the SDK's dump writes for them and the only JSON
their validation takes (besides the lax conversions `NEVER_TAKES` leaves out)."""


def _kind(model: Model, annotation: ast.expr, nullable: bool, value: ast.expr | None) -> FieldKind:
    if isinstance(value, ast.Call) and any(k.arg in ("coerce_numbers_to_str", "strict") for k in value.keywords):
        return FieldKind(None, nullable, annotation)
    inner = optional_of(model, annotation) if nullable else annotation
    if isinstance(inner, ast.Subscript):
        inner = inner.value
    qual = qual_of(model, inner)
    return FieldKind(_KINDS.get(qual or ""), nullable, annotation)


def optional_of(model: Model, annotation: ast.expr) -> ast.expr:
    """`X` for `Optional[X]`, `X | None`, `None | X`, `Union[X, None]` (restate-sdk's
    `extract_core_type`, which `run_typed` applies); the annotation itself otherwise."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, right = annotation.left, annotation.right
        if isinstance(right, ast.Constant) and right.value is None:
            return left
        if isinstance(left, ast.Constant) and left.value is None:
            return right
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, (ast.Name, ast.Attribute)):
        head = model.qualify(annotation.value)
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if head in ("typing.Optional", "typing_extensions.Optional") and len(items) == 1:
            return items[0]
        if head in ("typing.Union", "typing_extensions.Union") and len(items) == 2:
            rest = [i for i in items if not (isinstance(i, ast.Constant) and i.value is None)]
            if len(rest) == 1:
                return rest[0]
    return annotation


NEVER_TAKES = {
    "string": frozenset({"integer", "number", "boolean", "array", "object"}),
    "integer": frozenset({"array", "object"}),
    "number": frozenset({"array", "object"}),
    "boolean": frozenset({"array", "object"}),
    "array": frozenset({"string", "integer", "number", "boolean", "object"}),
    "object": frozenset({"string", "integer", "number", "boolean", "array"}),
}
"""A field's kind -> the kinds of JSON none of whose values it accepts, in pydantic's lax mode
(measured with pydantic 2: `"5"` is a valid int and `5.0` a valid int, `0` a valid bool, so
those pairs are not here; dacite, which converts nothing, fails on each of these too)."""
