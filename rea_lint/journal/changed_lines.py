"""The lines of a handler's own code a computation reads, so a reason can say which one changed.

A fingerprint (`fingerprint.Fingerprinter.traced`) reads a value's computation through the
statements that bind and mutate the names it uses (`total = price * 2`, `items.append(x)`).
Where two revisions compute a value otherwise and no helper or class changed (`code_names`
names those), the change is in one of these statements, and "its computation changed" alone
leaves the user to find it in the whole handler. So a compared field keeps, beside its
fingerprint, the statements it read (its *trail*, `ops.Field.trail`): each by a digest of what
it computes *itself*, the statements it reads in turn and the code it calls left out (`a = x + 2`
changed: `b = a * 2` below it reads another value, but is the same line), and where it is. The
statements one side's trail holds and the other's does not, and that read otherwise too, are
the lines to name; a line that only moved keeps its digest, and one that reads as before while
its digest changed reads something else that changed (named there: a helper, a caller's line).

A trail lives beside the fingerprint, not in it: a fingerprint compares computations, and a line
moved or a local renamed must not change it.
"""

from __future__ import annotations

import ast
import weakref
from typing import Dict, Mapping, Tuple

from rea_lint.model import shorten, source_text

__all__ = ["Place", "Trail", "changed_lines", "statement_text"]

Place = Tuple[str, ast.AST]
"""A statement a computation reads, and the file it is in."""


class Trail:
    """The statements a rendering read: its own (a statement's digest -> where it is) and the
    trails of the renderings it read, shared, not copied. A handler's renderings read one another
    level upon level (a local's, the tests it runs under, a helper's); copied into each, the
    trails of an agent loop took gigabytes. Flattened only where a reason names lines."""

    __slots__ = ("own", "parts", "_flat")

    def __init__(self) -> None:
        self.own: Dict[str, Place] = {}
        self.parts: list[Trail] = []
        self._flat: Dict[str, Place] | None = None

    def __bool__(self) -> bool:
        return bool(self.own) or bool(self.parts)

    def note(self, digest: str, place: Place) -> None:
        self.own.setdefault(digest, place)

    def add(self, other: "Trail | None") -> None:
        """The statements ``other`` holds are read here too."""
        if other:
            self.parts.append(other)

    def flat(self) -> Dict[str, Place]:
        """Every statement read, each at the first place met (its own before those it read)."""
        if self._flat is None:
            out: Dict[str, Place] = {}
            seen: set[int] = set()
            todo: list[Trail] = [self]
            while todo:
                trail = todo.pop()
                if id(trail) in seen:
                    continue
                seen.add(id(trail))
                for digest, place in trail.own.items():
                    out.setdefault(digest, place)
                todo.extend(reversed(trail.parts))
            self._flat = out
        return self._flat


def changed_lines(old: Trail | None, new: Trail | None) -> tuple[list[str], list[str]]:
    """(the statements the computation with trail ``new`` reads and ``old`` does not, those ``old``
    reads and ``new`` does not), each as `` `total = price * 2` (app.py:12) ``, in source order."""
    old_flat, new_flat = old.flat() if old else {}, new.flat() if new else {}
    return _labels(new_flat, old_flat), _labels(old_flat, new_flat)


def _labels(these: Mapping[str, Place], without: Mapping[str, Place]) -> list[str]:
    # a statement that reads as before is not named, though its digest changed: what changed is
    # something it reads (a parameter its caller passes, a module's value, a helper's code),
    # which is named where it is; nor is one statement twice (its rendering under two readings)
    fresh = [place for digest, place in these.items() if digest not in without]
    if not fresh:
        return []
    spelled = {_spelling(node) for _path, node in without.values()}
    only: dict[tuple[str, int, str], Place] = {}
    for path, node in fresh:
        spelling = _spelling(node)
        if spelling not in spelled:
            only.setdefault((path, getattr(node, "lineno", 0), spelling), (path, node))
    return [f"`{statement_text(node)}` ({path + ':' if path else 'line '}{getattr(node, 'lineno', 0)})"
            for (path, _line, _spelling), (_path, node) in sorted(only.items(), key=lambda item: item[0][:2])]


def _spelling(node: ast.AST) -> str:
    """A statement as written, positions and comments aside (a loop or `with` by its header);
    once per statement (a handler's trails are compared path by path, each holding most of its
    statements)."""
    found = _SPELLINGS.get(node)
    if found is None:
        if isinstance(node, (ast.For, ast.AsyncFor)):
            found = "for " + ast.dump(node.target) + " in " + ast.dump(node.iter)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            found = "with " + ";".join(ast.dump(item) for item in node.items)
        else:
            found = ast.dump(node)
        _SPELLINGS[node] = found
    return found


_SPELLINGS: "weakref.WeakKeyDictionary[ast.AST, str]" = weakref.WeakKeyDictionary()


def statement_text(node: ast.AST, limit: int = 60) -> str:
    """A statement as a message shows it: a loop or `with` by its header, not its body."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        head = f"{'async ' if isinstance(node, ast.AsyncFor) else ''}for {source_text(node.target, limit)} in {source_text(node.iter, limit)}"
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        head = ("async with " if isinstance(node, ast.AsyncWith) else "with ") + ", ".join(
            source_text(i.context_expr, limit) + (f" as {source_text(i.optional_vars, limit)}" if i.optional_vars else "") for i in node.items)
    else:
        return source_text(node, limit)
    return shorten(head, limit)
