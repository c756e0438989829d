"""What a mypy type says about Restate: is it a context (and which kind), a durable future.

Judged on the type's MRO, so subclasses and aliases count, and `[tool.rea] context-types`
adds a team's own wrapper types. Nothing here imports restate: only names are compared.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from mypy.nodes import TypeInfo
from mypy.types import (
    CallableType,
    Instance,
    LiteralType,
    Overloaded,
    TupleType,
    Type,
    TypeType,
    TypeVarType,
    UnionType,
    get_proper_type,
)

__all__ = ["ContextTypes", "service_class_kind", "walk_types", "instance_of"]

CTX = "restate.context."
# The most specific first: WorkflowContext subclasses ObjectContext, and so on.
BASES: tuple[tuple[str, str], ...] = (
    ("WorkflowSharedContext", "WorkflowSharedContext"),
    ("WorkflowContext", "WorkflowContext"),
    ("ObjectSharedContext", "ObjectSharedContext"),
    ("ObjectContext", "ObjectContext"),
    ("Context", "Context"),
)
SHARED = frozenset({"ObjectSharedContext", "WorkflowSharedContext"})
DURABLE_PROMISE = CTX + "DurablePromise"
FUTURE_BASES = frozenset({CTX + "RestateDurableFuture", DURABLE_PROMISE, CTX + "SendHandle"})

SERVICE_CLASSES: Mapping[str, str] = {
    "restate.service.Service": "service",
    "restate.object.VirtualObject": "object",
    "restate.workflow.Workflow": "workflow",
}


class ContextTypes:
    """Context recognition with the configured extra types (qualified name -> Restate base)."""

    def __init__(self, extra: Mapping[str, str]) -> None:
        self._known = {CTX + name: base for name, base in BASES}
        self._known.update(extra)
        self._by_info: dict[int, tuple[TypeInfo, list[TypeInfo], str | None]] = {}

    def info_base(self, info: TypeInfo) -> str | None:
        """The Restate context type `info` is or derives from (`ObjectContext`), else None."""
        # Asked for the receiver of every method call: a pydantic model's MRO is long, so the
        # answer is kept per class (and per MRO list, which the daemon replaces when bases change).
        hit = self._by_info.get(id(info))
        if hit is not None and hit[0] is info and hit[1] is info.mro:
            return hit[2]
        found = None
        for base in info.mro:
            found = self._known.get(base.fullname)
            if found is not None:
                break
        if len(self._by_info) > 50_000:
            self._by_info.clear()
        self._by_info[id(info)] = (info, info.mro, found)
        return found

    def base_of(self, typ: Type | None) -> str | None:
        """The context base of a type; a union counts if one of its members is a context."""
        t = get_proper_type(typ)
        if isinstance(t, Instance):  # asked for every receiver: most are a plain instance
            return self.info_base(t.type)
        if not isinstance(t, (UnionType, TypeVarType)):
            return None  # what `walk_types` would yield alone, and not an instance
        for member in walk_types(t, into_args=False):
            if isinstance(member, Instance):
                base = self.info_base(member.type)
                if base is not None:
                    return base
        return None

    def bases_of(self, typ: Type | None) -> list[str]:
        """The context bases of every member of a union (or of the one type), in order."""
        found = []
        for member in walk_types(typ, into_args=False):
            if isinstance(member, Instance):
                base = self.info_base(member.type)
                if base is not None:
                    found.append(base)
        return found

    def is_context(self, typ: Type | None) -> bool:
        return self.base_of(typ) is not None


def walk_types(typ: Type | None, into_args: bool = True) -> Iterator[Type]:
    """The proper types inside `typ`: union members, TypeVar bounds, and (optionally) type args."""
    seen = 0
    stack = [typ]
    while stack and seen < 200:
        seen += 1
        t = get_proper_type(stack.pop())
        if t is None:
            continue
        yield t
        if isinstance(t, UnionType):
            stack.extend(t.items)
        elif isinstance(t, TypeVarType):
            stack.append(t.upper_bound)
        elif into_args and isinstance(t, Instance):
            stack.extend(t.args)
        elif into_args and isinstance(t, TupleType):
            stack.extend(t.items)


def is_restate_future(typ: Type | None) -> bool:
    """A Restate future or promise, also inside a list/tuple/set of them."""
    for t in walk_types(typ):
        if isinstance(t, Instance) and any(b.fullname in FUTURE_BASES for b in t.type.mro):
            return True
    return False


def instance_of(typ: Type | None) -> Instance | None:
    t = get_proper_type(typ)
    if isinstance(t, TypeType):
        t = get_proper_type(t.item)
    return t if isinstance(t, Instance) else None


def service_class_kind(typ: Type | None) -> str | None:
    """`service` / `object` / `workflow` when `typ` is (a subclass of) a Restate service class."""
    inst = instance_of(typ)
    if inst is None:
        return None
    for base in inst.type.mro:
        kind = SERVICE_CLASSES.get(base.fullname)
        if kind:
            return kind
    return None


def literal_str(typ: Type | None) -> str | None:
    t = get_proper_type(typ)
    if isinstance(t, Instance) and t.last_known_value is not None:
        t = t.last_known_value
    if isinstance(t, LiteralType) and isinstance(t.value, str):
        return t.value
    return None


def callable_definition(typ: Type | None) -> str | None:
    """The fully-qualified name of the function a callable type was made from, if known."""
    t = get_proper_type(typ)
    if isinstance(t, Overloaded) and t.items:
        t = t.items[0]
    if isinstance(t, CallableType) and t.definition is not None:
        return t.definition.fullname or None
    return None
