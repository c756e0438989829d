"""Files a side cannot read, decode or parse: their handlers get no confident verdict, and the
run does not pass.

A file that does not parse on one side (or cannot be read or decoded there: a FIFO, bytes
that are not in its encoding) hides there which handlers it defines and what they journal.
Compared as if it were empty, its handlers on the other side came out `removed` (a broken
work tree) or `added` (a broken base, exit 0): a verdict rea cannot know. Each handler such a
file defines on either side is `unknown` instead, with the file named, and the run exits 1 as
`rea check` does for a file it could not check. A file that fails the same way on both
sides, unchanged, is only listed: the change does not touch it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from rea_lint.journal.compare import HandlerDiff, ProjectDiff, Verdict
from rea_lint.journal.shape import Shapes

__all__ = ["Lost", "lost_files", "settle"]


@dataclass(frozen=True)
class Lost:
    """A file compared on neither side: where it failed, and how (`parsed`, `decoded`, `read`)."""

    path: str
    old: str | None
    """How it failed on the old side (`parsed`), None: it did not."""
    new: str | None
    base: str
    head: str


def _how(problem: str) -> str:
    return "parsed" if ": cannot parse: " in problem else "decoded" if ": cannot decode: " in problem else "read"


def lost_files(
    old_problems: Mapping[str, str], new_problems: Mapping[str, str],
    old_content: Mapping[str, object], new_content: Mapping[str, object], base: str, head: str,
) -> dict[str, Lost]:
    """path -> `Lost` for each file that a side cannot read, decode or parse (``*_problems``: path
    -> its problem line), unless it fails on both sides with the same content (``*_content``:
    path -> its text, or its bytes when they were read but not decoded)."""
    out: dict[str, Lost] = {}
    for path in sorted({*old_problems, *new_problems}):
        before, after = old_content.get(path), new_content.get(path)
        if path in old_problems and path in new_problems and before is not None and before == after:
            continue
        old, new = old_problems.get(path), new_problems.get(path)
        out[path] = Lost(path, _how(old) if old else None, _how(new) if new else None, base, head)
    return out


def settle(diff: ProjectDiff, old: Shapes, new: Shapes, lost: Mapping[str, Lost]) -> ProjectDiff:
    """``diff`` with every verdict that rests on a lost file made `unknown`: a definition in one,
    or a handler found on one side only that a lost file defines on the other (where it may be)."""
    if not lost:
        return diff
    defined_in: dict[tuple[str, str], str] = {}
    for shapes in (old, new):
        for shape in shapes.every():
            if shape.path in lost:
                defined_in.setdefault(shape.key, shape.path)
    handlers = []
    for h in diff.handlers:
        path = next((s.path for s in (h.old, h.new) if s is not None and s.path in lost), None)
        if path is None and (h.old is None or h.new is None):
            path = defined_in.get(h.key)
        handlers.append(h if path is None else _unknown(h, lost[path]))
    return replace(diff, handlers=handlers, not_compared=sorted(lost))


def _unknown(h: HandlerDiff, lost: Lost) -> HandlerDiff:
    sides = [f"{how} {_at(label)}" for how, label in ((lost.old, lost.base), (lost.new, lost.head)) if how]
    handler = f"{h.service}/{h.handler}"
    if lost.new:
        what = f"whether the new code defines {handler} there, or what it journals; fix the file (its problem is listed above)"
    else:
        what = (f"whether the old code defined {handler} there, or what invocations in flight journaled; compare "
                "with the revision that is deployed (--base REV)")
    return replace(h, verdict=Verdict.UNKNOWN, divergence=None, reason=f"{lost.path} cannot be {' or '.join(sides)}: rea cannot tell {what}")


def _at(label: str) -> str:
    return f"in {label}" if label == "the work tree" else f"at {label}"
