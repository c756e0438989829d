"""A 570 whose two values are dumps of one class with other keys: the class changed under the invocation.

The server prints both values of a mismatched payload (`parameter: '{"sku":"a"}' !=
'{"sku":"a","note":""}'`). When the value the current code passes there is a whole instance of a
class rea can read (`journal.encoding`), the attempted value holds exactly the keys that class
writes, the recorded one other keys, and the keys both hold have equal values, the cause is not
nondeterminism (which changes values, not keys): the class gained, lost or moved a field after
the invocation journaled the value, and replay wrote it again with the current class. That is
said without `--since`, which would name the change itself.
"""

from __future__ import annotations

import json
from typing import Any

from rea_lint.explain.message import Mismatch
from rea_lint.journal.encoding import Writes
from rea_lint.journal.ops import Op

__all__ = ["rewritten_cause"]

_PAYLOADS = {"parameter": "parameter", "value": "value", "completion": "value", "result": "value"}
"""A message's field -> the op's field that holds the payload (a promise's value is its `completion`, an
awakeable's or a signal's its `result`)."""


def rewritten_cause(mismatch: Mismatch, op: Op | None) -> str | None:
    """The cause, when the mismatch is the current class writing other keys; else None."""
    if op is None:
        return None
    for d in mismatch.differences:
        field = op.fields.get(_PAYLOADS.get(d.field, ""))
        writes = field.writes if field is not None else None
        old, new = _parsed(d.recorded), _parsed(d.attempted)
        if field is None or writes is None or old is None or new is None:
            continue
        try:
            places = _rewritten_at(old, new, writes, field.text)
        except RecursionError:  # (a value nested deeper than Python recurses: not a model's dump rea reads)
            continue
        if places:
            where, cls, old_keys, new_keys = places[0]
            more = f" (and in {len(places) - 1} more place{'s' * (len(places) > 2)} of the value)" if len(places) > 1 else ""
            return (f"`{cls.name}` ({cls.where}), the class whose keys `{where}` is written with, changed "
                    f"after the invocation journaled it (a deploy while it was in flight): it now writes {_keys(new_keys)}, where "
                    f"the journal holds {_keys(old_keys)}{more}, and the keys both hold have the same values (nondeterminism changes "
                    "values, not keys); replay wrote the value again with the current class. Keep the class's fields as they were "
                    "for the invocations in flight (or keep the old deployment registered until they drain); --since REV (the "
                    "revision that was deployed) names the change")
        if isinstance(old, _Object) and isinstance(new, _Object) and [k for k, _ in old] == [k for k, _ in new] == list(writes.keys):
            why = _default_changed(old, new, writes)
            if why is not None:
                return why
    return None


Place = tuple[str, Writes, list[str], list[str]]
"""Where in the value (`cart.items[0]`), the class written there, the keys the journal holds, the keys written now."""


def _rewritten_at(old: Any, new: Any, writes: Writes, where: str) -> list[Place] | None:
    """The places where the two dumps of ``writes``'s class differ, where they differ only by the
    keys of the classes written (the value's own, and those its fields hold: `Writes.nested`,
    `Writes.held`); [] when they are the same; None when a value differs, or the attempted value
    does not hold exactly the keys its class writes."""
    if not isinstance(old, _Object) or not isinstance(new, _Object):
        return None
    old_keys, new_keys = [k for k, _ in old], [k for k, _ in new]
    if new_keys != list(writes.keys) or len(set(old_keys)) != len(old_keys):
        return None
    places: list[Place] = [] if old_keys == new_keys else [(where, writes, old_keys, new_keys)]
    inner = dict((*writes.nested, *writes.held))
    before = dict(old)
    for key, value in new:
        if key not in before:
            continue
        held = inner.get(key)
        found = _same_or_held(before[key], value, held, f"{where}.{key}") if held is not None else ([] if _same(before[key], value) else None)
        if found is None:
            return None
        places.extend(found)
    return places


def _same_or_held(old: Any, new: Any, writes: Writes, where: str) -> list[Place] | None:
    """A field's two values, where it may hold instances of ``writes``'s class: one, a list of
    them, a dict of them, or null."""
    if _same(old, new):
        return []
    if isinstance(old, list) and isinstance(new, list) and not isinstance(old, _Object) and not isinstance(new, _Object):
        if len(old) != len(new):
            return None
        places: list[Place] = []
        for i, (a, b) in enumerate(zip(old, new)):
            found = _same_or_held(a, b, writes, f"{where}[{i}]")
            if found is None:
                return None
            places.extend(found)
        return places
    found = _rewritten_at(old, new, writes, where)  # (one instance)
    if found is not None or not (isinstance(old, _Object) and isinstance(new, _Object)):
        return found
    if [k for k, _ in old] != [k for k, _ in new]:
        return None
    places = []
    for (key, a), (_, b) in zip(old, new):  # (a dict of instances)
        found = _same_or_held(a, b, writes, f"{where}[{key!r}]")
        if found is None:
            return None
        places.extend(found)
    return places


def _default_changed(old: list[tuple[str, Any]], new: list[tuple[str, Any]], writes: Any) -> str | None:
    """The same keys, and the values differ only in fields the code leaves out of the instance it
    makes, each now the current class's literal default: that default changed under the invocation."""
    if writes.given is None:
        return None
    defaults = dict(writes.literals)
    differ = [k for (k, a), (_, b) in zip(old, new) if a != b or type(a) is not type(b)]
    if not differ or any(k in writes.given or k not in defaults or defaults[k] != b for k, b in new if k in differ):
        return None
    held = dict(old)
    fields = ", ".join(f"`{k}` (the journal holds {held[k]!r}, the class now gives {defaults[k]!r})" for k in differ)
    return (f"`{writes.name}` ({writes.where}), the class the code makes here leaving {fields} out, changed that default after "
            "the invocation journaled the value (a deploy while it was in flight); replay made the value again with the current "
            "default. Keep the default as it was for the invocations in flight (or keep the old deployment registered until they "
            "drain); --since REV (the revision that was deployed) names the change")


class _Object(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs, in order (a dict would lose the order, and `[]`
    would not tell `{}` from an empty array)."""


def _parsed(text: str) -> Any:
    """``text`` as JSON with each object an `_Object`; None if it is not JSON."""
    try:
        return json.loads(text, object_pairs_hook=_Object)
    except (ValueError, RecursionError):  # (not JSON, or nested deeper than the decoder recurses)
        return None


def _same(a: Any, b: Any) -> bool:
    """The same JSON, written the same way: `1` is not `1.0` nor `true`, and order counts."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple):
        return a[0] == b[0] and _same(a[1], b[1])
    return bool(a == b)


def _keys(keys: list[str]) -> str:
    return ", ".join(f"`{k}`" for k in keys) if keys else "no key"
