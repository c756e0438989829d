"""A field's `default_factory` runs where the class is constructed.

`Order(item=x)` in handler code fills `Order.id` with its `Field(default_factory=uuid4)` right
there, outside any run action: a new id at every replay, as if the handler had called `uuid4()`
itself. The project link (`rea_lint.project`) follows such a constructor call like a call of a
project function: each field whose factory does what a transitive rule forbids, or calls a
project function, is a node of the call graph (`Order.<id>`), and a constructor call reaches the
nodes of the fields it does not pass.

rea reads a class only where its fields are certain (`data_classes.read_class`: a pydantic model
or a dataclass, bases in the same module, no alias, no validator that may fill a field in, no
custom `__init__`), and a call with positional arguments or `**kwargs` may pass any field: rea
says nothing there.
"""

from __future__ import annotations

import ast
from typing import Callable, Iterator

from rea_lint.data_classes import ClassRead, read_class
from rea_lint.model import Model, call_name

__all__ = ["FieldFacts", "factory_classes", "factory_fields", "field_node", "passes"]

FieldFacts = tuple[dict[str, str], list[tuple[ast.Call, str]]]
"""A field's factory: the codes it does (code -> the call as written) and the calls it makes
that may reach a project function (call, target)."""

_MEMO = "default-factory-classes"


def field_node(cls_qual: str, field: str) -> str:
    """The call-graph name of a class's field made by a factory (no call can name it)."""
    return f"{cls_qual}.<{field}>"


def passes(call: ast.Call) -> list[str] | None:
    """The fields a constructor call passes by keyword; None when it may pass any (positional
    arguments, `**kwargs`)."""
    if call.args:
        return None
    names = []
    for kw in call.keywords:
        if kw.arg is None:
            return None
        names.append(kw.arg)
    return names


def factory_classes(model: Model) -> dict[str, ClassRead]:
    """The module's top-level classes, by name, that rea reads exactly and that have a field
    made by a `default_factory` (declared or inherited from a class of the module). Worked out
    once per model; a module none of whose classes declares a factory is passed over at once."""
    found = model.memo.get(_MEMO)
    if found is not None:
        return found
    found = {}
    if any(_declares_factory(model, value) for value in model.keyword_fields):
        classes: dict[str, ast.ClassDef] = {}
        twice: set[str] = set()
        for stmt in model.tree.body:
            if type(stmt) is ast.ClassDef:
                if stmt.name in classes:
                    twice.add(stmt.name)
                classes[stmt.name] = stmt
        bound = model.module_values.keys()

        def lookup(m: Model, path: str, name: ast.expr) -> tuple[Model, ast.ClassDef, str] | None:
            if type(name) is ast.Name and name.id in classes and name.id not in twice and name.id not in bound:
                return m, classes[name.id], path
            return None

        for name, cls in classes.items():
            if name in twice or name in bound:
                continue
            read = read_class(model, cls, "", lookup)
            if read is not None and read.factories:
                found[name] = read
    model.memo[_MEMO] = found
    return found


_CONTAINERS = frozenset({"list", "dict", "set", "tuple", "frozenset", "str", "int", "float", "bool", "bytes", "bytearray", "object"})
"""Builtins a factory names most often, told apart without qualifying the name (unless the module
binds or imports it)."""
_PLAIN_FACTORIES = ("builtins.", "collections.", "typing.")
"""Where a factory named by reference makes an empty container (`list`, `defaultdict`): nothing to follow."""


def _declares_factory(model: Model, value: ast.Call) -> bool:
    """Does a field's value (`Field(...)`, `field(...)`) give it a factory that may matter: one
    naming a function that is not a plain container's (`uuid4`, `_now`), or a lambda that calls
    something?"""
    for kw in value.keywords:
        if kw.arg == "default_factory":
            factory = kw.value
            if type(factory) is ast.Name and factory.id in _CONTAINERS and factory.id not in model.module_names and (
                    factory.id not in model.imports.names):
                return False  # (most factories: `list`, `dict`)
            if type(factory) is ast.Lambda:
                return any(type(n) is ast.Call for n in ast.walk(factory.body))
            qual = model.qualify(factory)  # (None: a function of this module, or not a name at all)
            return qual is None or not qual.startswith(_PLAIN_FACTORIES)
    return False


def factory_fields(
    model: Model, target: Callable[[ast.expr], str | None], checkers: dict[str, object], codes: tuple[str, ...]
) -> dict[str, dict[str, FieldFacts]]:
    """Class name -> field -> what its factory does, for the fields whose factory does something
    one of ``codes`` forbids (judged by the rule's own `matches`, as a call in handler code would
    be) or calls something ``target`` (the module's resolver) says may be a project function."""
    out: dict[str, dict[str, FieldFacts]] = {}
    extra = model.config.extra_calls
    for name, read in factory_classes(model).items():
        fields: dict[str, FieldFacts] = {}
        for field, factory in read.factories.items():
            effects: dict[str, str] = {}
            calls: list[tuple[ast.Call, str]] = []
            for call in _calls_of(factory):
                qual = model.qualify(call.func)
                if qual is not None:
                    for code in codes:
                        checker = checkers.get(code)
                        matches = getattr(checker, "matches", None)
                        if matches is not None and code not in effects and matches(qual, call, extra.get(code, ())):
                            effects[code] = call_name(call)
                found = target(call.func)
                if found is not None:
                    calls.append((call, found))
            if effects or calls:
                fields[field] = (effects, calls)
        if fields:
            out[name] = fields
    return out


def _calls_of(factory: ast.expr) -> Iterator[ast.Call]:
    """The calls a factory makes when called: the function it names (`uuid4`, `datetime.now`),
    or the calls of a lambda's body, in source order (not those on its parameters)."""
    if type(factory) in (ast.Name, ast.Attribute):
        yield ast.copy_location(ast.Call(func=factory, args=[], keywords=[]), factory)
        return
    if type(factory) is not ast.Lambda:
        return
    params = {a.arg for a in (*factory.args.posonlyargs, *factory.args.args, *factory.args.kwonlyargs)}
    calls = [n for n in ast.walk(factory.body) if type(n) is ast.Call]
    calls.sort(key=lambda c: (c.lineno, c.col_offset))
    for call in calls:
        head = call.func
        while type(head) is ast.Attribute:
            head = head.value
        if type(head) is ast.Name and head.id not in params:  # (not a method of the value pydantic hands in)
            yield call
