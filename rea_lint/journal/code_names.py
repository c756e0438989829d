"""Names for digests of code, so a reason can say which helper or class changed.

A fingerprint reads the project's code as digests (`D(3f2a...)`: `fingerprint.code_digest`, a
class's `whole_code`, a field's code). Where two revisions compute a value otherwise, the digests
one reads and the other does not are the code that changed, and `code_names` names them: "it
reads code that changed: `label` (shared_text.py:4)". The same code has the same digest wherever
it is: two apps of one repository may each hold a `Transaction` class of the same text, so a
digest keeps every place it was read at, and a reason names the one nearest the handler's file.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePosixPath

__all__ = ["CODE_READ", "code_names", "label_of", "name_digest", "register", "shared_directories"]

CODE_READ = re.compile(r"D\(([0-9a-f]{16})\)")
"""A digest of code as a rendered computation holds it."""

_PLACES: dict[str, dict[str, None]] = {}
"""A digest -> the names and places it was read at (`` `label` (path:line) ``), the one read last last."""
_PLACE = re.compile(r"\(([^()]*):\d+\)$")


def register(digest: str, label: str) -> None:
    """Name ``digest`` at a place it is read at (a definition's name and place, once per place)."""
    _PLACES.setdefault(digest, {}).setdefault(label, None)


def name_digest(digest: str, label: str) -> str:
    """Name a digest of code that is not one definition (`Order.price`: its annotation and
    validators) at the place it was read last (in `rea diff`, the new side is shaped after the
    old one, so a message names the new code); returns ``digest``."""
    places = _PLACES.setdefault(digest, {})
    places.pop(label, None)
    places[label] = None
    return digest


def label_of(digest: str, near: str = "") -> str | None:
    """The name of ``digest`` at the place nearest the file ``near`` (the most leading
    directories in common; of equals, the place read last), or None if it was never named."""
    places = _PLACES.get(digest)
    if not places:
        return None
    labels = list(places)
    if len(labels) == 1 or not near:
        return labels[-1]
    return max(reversed(labels), key=lambda label: shared_directories(_path_of(label), near))


def code_names(old: str, new: str, near: str = "") -> list[str]:
    """The functions and classes whose code the computation ``new`` reads and ``old`` does not (a
    helper whose body changed), named at their place nearest ``near``, in the order ``new`` reads them."""
    before = set(CODE_READ.findall(old))
    named = (label_of(d, near) for d in CODE_READ.findall(new) if d not in before)
    return list(dict.fromkeys(label for label in named if label is not None))


def shared_directories(a: str, b: str) -> int:
    """How many leading directories two paths have in common."""
    n = 0
    for x, y in zip(PurePosixPath(a.replace(os.sep, "/")).parent.parts, PurePosixPath(b.replace(os.sep, "/")).parent.parts):
        if x != y:
            break
        n += 1
    return n


def _path_of(label: str) -> str:
    found = _PLACE.search(label)
    return found.group(1) if found is not None else ""
