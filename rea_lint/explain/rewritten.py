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
        old, new = _object(d.recorded), _object(d.attempted)
        if writes is None or old is None or new is None:
            continue
        old_keys, new_keys = [k for k, _ in old], [k for k, _ in new]
        if old_keys == new_keys and new_keys == list(writes.keys):
            why = _default_changed(old, new, writes)
            if why is not None:
                return why
            continue
        if new_keys != list(writes.keys) or len(set(old_keys)) != len(old_keys):
            continue
        held = dict(old)
        if any(held[k] != v for k, v in new if k in held):
            continue  # (a value differs too: not only the class)
        return (f"`{writes.name}` ({writes.where}), the class whose keys `{field.text}` is written with, changed "  # type: ignore[union-attr]
                f"after the invocation journaled it (a deploy while it was in flight): it now writes {_keys(new_keys)}, where "
                f"the journal holds {_keys(old_keys)}, and the keys both hold have the same values (nondeterminism changes "
                "values, not keys); replay wrote the value again with the current class. Keep the class's fields as they were "
                "for the invocations in flight (or keep the old deployment registered until they drain); --since REV (the "
                "revision that was deployed) names the change")
    return None


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


def _object(text: str) -> list[tuple[str, Any]] | None:
    """A JSON object's (key, value) pairs in order; None if ``text`` is not one."""
    try:
        pairs = json.loads(text, object_pairs_hook=lambda items: items)
    except ValueError:
        return None
    if not isinstance(pairs, list) or not all(type(p) is tuple and isinstance(p[0], str) for p in pairs):
        return None  # (an array, a scalar: not an object)
    return pairs


def _keys(keys: list[str]) -> str:
    return ", ".join(f"`{k}`" for k in keys) if keys else "no key"
