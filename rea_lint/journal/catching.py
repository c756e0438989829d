"""Which `except` of a `try` catches a `raise`: the replay goes into the handler that does.

A `raise` inside a `try` does not end the handler where an `except` catches it: the code goes
on in that `except`, then after the `try`. Python enters the first clause whose classes the
exception is an instance of, so the answer needs the raised class and what it derives from.

A class is known by its identity, not by how a module spells it: a builtin by its name
(`IOError` is `OSError`), restate-sdk's exceptions by theirs (`restate.TerminalError`,
whatever module it was imported from), a project class by where it is defined (re-exported
under another name, it is still the same class). A clause catches for certain when it names
one of the raised class's ancestors (or is a bare `except`, or `except BaseException`); it
misses for certain only when every ancestor is known and none is named. Anything else (a
base from a library rea does not read, an exception held in a variable) may go either way.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from functools import cache
from typing import Callable, Optional

from rea_lint.model import RESTATE_ROOTS, Function, Model, shorten

__all__ = ["CATCHES", "MAY", "MISSES", "Catch", "Raised", "catch_of", "catches", "raised_by"]

CATCHES, MAY, MISSES = "catches", "may", "misses"

_RESTATE_EXCEPTIONS = {
    "TerminalError": frozenset({"restate.TerminalError", "builtins.Exception", "builtins.BaseException"}),
    "RetryableError": frozenset({"restate.RetryableError", "builtins.Exception", "builtins.BaseException"}),
}
"""restate-sdk 1.3's exceptions a handler raises (`restate.exceptions`), with their ancestors."""

_MOST_ANCESTORS = 64
"""A lineage longer than this is not followed to its end (it is then not complete)."""

_SPELLED = "~"
"""Starts the identity of a class of code rea does not read (a library's): its qualified name,
which names the same class where two modules spell it alike, but may not be the only one."""

ClassAt = Callable[[Model, str, ast.expr], Optional[tuple[Model, ast.ClassDef, str]]]
"""(a module's model, its path, a name in it) -> the project class it denotes (`_Project.class_at`)."""


@dataclass(frozen=True)
class Raised:
    """The class a `raise` raises, with every ancestor rea could name (identities, see the
    module doc)."""

    classes: frozenset[str]
    complete: bool
    """Every ancestor is known: a clause naming none of them misses for certain."""


@dataclass(frozen=True)
class Catch:
    """One `except` clause: the identities of the classes it names (None: one rea cannot
    name); none at all for a bare `except`."""

    classes: tuple[Optional[str], ...]
    text: str
    """`except ValueError`, as written (shortened), for a reason."""
    line: int
    path: str

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"line {self.line}"


def catches(clause: Catch, raised: Raised | None) -> str:
    """`CATCHES`, `MISSES` or `MAY`: does ``clause`` catch what a `raise` raises (None: a class
    rea cannot name, as `raise err` or a bare `raise`)?"""
    if not clause.classes:
        return CATCHES
    verdict = MISSES
    for identity in clause.classes:
        if identity == "builtins.BaseException":
            return CATCHES
        if raised is None:
            verdict = MAY
        elif identity in raised.classes:
            return CATCHES
        elif identity is None or not raised.complete or identity.startswith(_SPELLED):
            verdict = MAY
    return verdict


def catch_of(model: Model, path: str, fn: Function | None, handler: ast.ExceptHandler, class_at: ClassAt) -> Catch:
    """The `Catch` of one `except` clause of ``model``'s code."""
    kind = handler.type
    names = () if kind is None else kind.elts if isinstance(kind, ast.Tuple) else (kind,)
    text = "except" if kind is None else f"except {ast.unparse(kind)}"
    return Catch(tuple(_identity(model, path, fn, n, class_at)[0] for n in names), shorten(text), handler.lineno, path)


def raised_by(model: Model, path: str, fn: Function | None, exc: ast.expr | None, class_at: ClassAt) -> Raised | None:
    """What `raise <exc>` raises (None: a bare `raise`, or a class rea cannot name)."""
    if exc is None:
        return None
    identity, found = _identity(model, path, fn, exc.func if isinstance(exc, ast.Call) else exc, class_at)
    if identity is None:
        return None
    classes: set[str] = set()
    complete = True
    todo: list[tuple[str | None, tuple[Model, ast.ClassDef, str] | None]] = [(identity, found)]
    while todo:
        identity, found = todo.pop()
        if identity is None:
            complete = False
            continue
        if identity in classes:
            continue
        classes.add(identity)
        if len(classes) > _MOST_ANCESTORS:
            complete = False
            break
        known = _ancestors(identity)
        if known is not None:
            classes.update(known)
        elif found is None or not found[1].bases:  # (a class of nothing: not an exception rea can read)
            complete = False
        else:
            owner, cls, where = found
            todo.extend(_identity(owner, where, None, base, class_at) for base in cls.bases)
    return Raised(frozenset(classes), complete)


def _identity(model: Model, path: str, fn: Function | None, name: ast.expr,
              class_at: ClassAt) -> tuple[str | None, tuple[Model, ast.ClassDef, str] | None]:
    """A class's identity (see the module doc), and its definition if the project has it.
    A library's class is known by its qualified name (`_SPELLED`), and never whole: rea does
    not read what it derives from."""
    if not isinstance(name, (ast.Name, ast.Attribute)):
        return None, None
    head: ast.expr = name
    while isinstance(head, ast.Attribute):
        head = head.value
    if fn is not None and isinstance(head, ast.Name) and model.is_local(head.id, fn):
        return None, None  # (a variable: `raise err`, `except errors`)
    qual = model.qualify(name)
    if qual is not None:
        known = _known(qual)
        if known is not None:
            return known, None
    found = class_at(model, path, name)
    if found is None:
        return (None if qual is None else _SPELLED + qual), None
    return f"{found[2]}:{found[1].lineno}", found


@cache
def _known(qual: str) -> str | None:
    """The identity of a builtin exception or one of restate-sdk's, by its qualified name."""
    if qual.startswith("builtins."):
        cls = getattr(builtins, qual[len("builtins."):], None)
        return f"builtins.{cls.__name__}" if isinstance(cls, type) and issubclass(cls, BaseException) else None
    if qual.split(".", 1)[0] in RESTATE_ROOTS:
        last = qual.rpartition(".")[2]
        if last in _RESTATE_EXCEPTIONS:
            return f"restate.{last}"
    return None


@cache
def _ancestors(identity: str) -> frozenset[str] | None:
    """Every ancestor of a builtin exception or one of restate-sdk's (None: a project class)."""
    if identity.startswith("builtins."):
        cls = getattr(builtins, identity[len("builtins."):])
        return frozenset(f"builtins.{c.__name__}" for c in cls.__mro__ if c is not object)
    if identity.startswith("restate."):
        return _RESTATE_EXCEPTIONS[identity[len("restate."):]]
    return None
