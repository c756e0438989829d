"""REA101-103, REA105, REA106, REA108-110: a forbidden callable called from handler code.

The call is judged by the names mypy resolved for it (see `CallFacts`), so `from x import
y as z`, `now = datetime.now` in a utility module and stub re-exports all count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import AbstractSet, Container, Mapping, Sequence

from mypy.nodes import CallExpr, NameExpr, RefExpr, Var
from mypy.types import Instance, Type

from mypy_plugin.restate_types import instance_of, is_restate_future
from mypy_plugin.targets import (
    ASYNCIO_COMBINATORS,
    CALLS,
    CLASS_BASES,
    ENV_COPIERS,
    ENV_NAMES,
    ENV_RECEIVER,
    IN_MEMORY_IO,
    IO_RECEIVERS,
    PURE_FUNCTIONS,
    PREFIXES,
)

__all__ = ["CallFacts", "forbidden_codes", "env_read", "env_copy", "io_method", "futures_to_asyncio"]

ORDER = ("REA101", "REA102", "REA103", "REA105", "REA106", "REA108", "REA109", "REA110")


@dataclass
class CallFacts:
    call: CallExpr
    names: set[str]
    """Every fully-qualified name mypy gives the callee (hook name, definition, alias target)."""
    constructed: Instance | None = None
    """For a class call: the instance type being constructed."""
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """`[tool.rea] extra-calls`."""
    on_instance: bool = False
    """A method called on an object (`rng.random()`), not a module's function."""


def forbidden_codes(facts: CallFacts) -> list[str]:
    """The call rules this call breaks when it runs in handler code."""
    merged, every = _targets(facts.extra)
    constructed = facts.constructed
    if (facts.names.isdisjoint(every) and not any(n.startswith(_ANY_PREFIX) for n in facts.names)
            and (constructed is None or not any(b.fullname in _ANY_BASE for b in constructed.type.mro))):
        return []  # most calls: no rule names them (one look instead of one per rule)
    found: list[str] = []
    for code in ORDER:
        if not facts.names.isdisjoint(merged[code]):
            found.append(code)
            continue
        prefixes = PREFIXES.get(code, ())
        if (
            prefixes
            and not facts.on_instance
            and any(n.startswith(prefixes) for n in facts.names)
            and not _seeded_random(facts)
            and not facts.names & PURE_FUNCTIONS
        ):
            found.append(code)
            continue
        bases = CLASS_BASES.get(code)
        if bases and constructed is not None and any(b.fullname in bases for b in constructed.type.mro):
            found.append(code)
    return found


_ANY_PREFIX = tuple(p for code in ORDER for p in PREFIXES.get(code, ()))
_ANY_BASE = frozenset(b for code in ORDER for b in CLASS_BASES.get(code, ()))
_MERGED: dict[int, tuple[Mapping[str, tuple[str, ...]], dict[str, frozenset[str]], frozenset[str]]] = {}


def _targets(extra: Mapping[str, tuple[str, ...]]) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """Each rule's targets with `[tool.rea] extra-calls` added, and all of them together,
    merged once per configuration."""
    hit = _MERGED.get(id(extra))
    if hit is not None and hit[0] is extra:
        return hit[1], hit[2]
    merged = {code: CALLS.get(code, frozenset()) | frozenset(extra.get(code, ())) for code in ORDER}
    every = frozenset().union(*merged.values())
    _MERGED[id(extra)] = (extra, merged, every)
    return merged, every


def _seeded_random(facts: CallFacts) -> bool:
    """`random.Random(seed)` is deterministic; `random.Random()` is not."""
    if not facts.names & {"random.Random"} or not facts.call.args:
        return False
    seed = facts.call.args[0]
    return not (isinstance(seed, NameExpr) and seed.fullname == "builtins.None")  # Random(None) is unseeded


def env_read(method_fullname: str) -> bool:
    """A method of `os.environ` that reads it (`os.environ[...]`, `.get`, `in`, `.copy`)."""
    if not method_fullname.startswith(ENV_RECEIVER + "."):
        return False
    return method_fullname.rsplit(".", 1)[1] in {"__getitem__", "get", "__contains__", "copy", "items", "keys", "values", "setdefault", "pop"}


def env_copy(names: set[str], call: CallExpr) -> bool:
    """`dict(os.environ)`, `sorted(environ)`: a builtin that copies the environment reads it."""
    if not names & ENV_COPIERS or not call.args:
        return False
    arg = call.args[0]
    return isinstance(arg, RefExpr) and arg.fullname in ENV_NAMES


def io_method(receiver_type: Type | None, receiver: object, is_local_or_module: bool) -> bool:
    """A method call on a client, session, file or socket bound at module level or made here."""
    inst = instance_of(receiver_type)
    if inst is None or not is_local_or_module:
        return False
    mro = {b.fullname for b in inst.type.mro}
    if mro & IN_MEMORY_IO:
        return False  # io.StringIO / io.BytesIO look like files to the type system, but are memory
    return bool(mro & IO_RECEIVERS)


def bound_here_or_module(receiver: object, param_ids: Container[int]) -> bool:
    """The receiver names a module-level object or a local (not a parameter passed in)."""
    if isinstance(receiver, NameExpr) and isinstance(receiver.node, Var):
        return id(receiver.node) not in param_ids
    if isinstance(receiver, RefExpr) and isinstance(receiver.node, Var):
        return True  # mod.client
    return False


def futures_to_asyncio(names: AbstractSet[str], arg_types: Sequence[Type | None]) -> bool:
    """An asyncio combinator handed a Restate future: wrong anywhere, handler code or not."""
    return bool(names & ASYNCIO_COMBINATORS) and any(is_restate_future(t) for t in arg_types)
