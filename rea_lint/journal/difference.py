"""Where two shapes of a handler first stop journaling alike, in words.

`rea diff` proves a change safe by replaying every way through the old code on the new code
(`journal.compare`). Where the two shapes are the same node for node (lines aside), no replay is
needed; where the old code has too many ways through it to replay them all, the verdict is
unknown, and the user is told where to look: the first node, in source order, where the new
shape differs from the old one (an operation that journals differently, one added or gone, a
condition computed otherwise, a `return` moved).
"""

from __future__ import annotations

from rea_lint.journal.decoding import decode_break, held_break
from rea_lint.journal.ops import field_mismatch
from rea_lint.journal.shape import Branch, Exit, Inlined, Jump, Loop, Node, Seq, Step, Try, Unknown

__all__ = ["first_difference"]


def first_difference(a: Node, b: Node) -> str | None:
    """None where ``b`` (the new shape) journals as ``a`` does, wherever their lines are: the same
    structure, the same conditions (fingerprints), operations with the same compared fields, and an
    unknown only where both make the very same opaque call. Else the first difference, in words."""
    if type(a) is not type(b):
        return _at(b, f"{_what(b)}, where the old code has {_what(a)}")
    if isinstance(a, Step):
        op = b.op  # type: ignore[union-attr]
        why = field_mismatch(a.op, op)
        if why is None:
            broken = decode_break(a.op.decoded, op.decoded) or held_break(a.op.decoded, op.decoded)
            why = f"its result is {broken}" if broken is not None else None
        return None if why is None else f"{op.where()}: `{op.text}` ({why})"
    if isinstance(a, Seq):
        old, new = a.items, b.items  # type: ignore[union-attr]
        for i, (x, y) in enumerate(zip(old, new)):
            found = first_difference(x, y)
            if found is None:
                continue
            # one item added or gone here, the rest as before: say that, not what now stands in its place
            if len(new) == len(old) + 1 and _same(old[i:], new[i + 1:]):
                break
            if len(old) == len(new) + 1 and _same(old[i + 1:], new[i:]):
                break
            return found
        else:
            i = min(len(old), len(new))
        if len(new) > len(old):
            return _at(new[i], f"the new code adds {_what(new[i])}")
        if len(old) > len(new):
            return _after(new[:i], f"the new code no longer has {_what(old[i])}" + (f" ({_where(old[i])})" if _where(old[i]) else ""))
        return None
    if isinstance(a, (Branch, Loop)):
        if a.condition != b.condition:  # type: ignore[union-attr]
            what = "decides this branch" if isinstance(b, Branch) else "the loop goes by"
            return _at(b, f"`{b.text}`, which {what}, is computed otherwise (it, or a value it reads)")  # type: ignore[union-attr]
        if isinstance(a, Branch):
            if len(a.arms) != len(b.arms):  # type: ignore[union-attr]
                return _at(b, f"`{b.text}` has {len(b.arms)} arms, where the old code has {len(a.arms)}")  # type: ignore[union-attr]
            return _first((a.arms, b.arms))  # type: ignore[union-attr]
        return _first(((a.body, a.orelse), (b.body, b.orelse)))  # type: ignore[union-attr]
    if isinstance(a, Try):
        if len(a.handlers) != len(b.handlers):  # type: ignore[union-attr]
            return _at(b, f"a `try` with {len(b.handlers)} handlers, where the old code has {len(a.handlers)}")  # type: ignore[union-attr]
        return _first(((a.body, *a.handlers, a.orelse, a.final), (b.body, *b.handlers, b.orelse, b.final)))  # type: ignore[union-attr]
    if isinstance(a, Inlined):
        return first_difference(a.body, b.body)  # type: ignore[union-attr]
    if isinstance(a, (Exit, Jump)):
        return None if a.how == b.how else _at(b, f"`{b.how}`, where the old code has `{a.how}`")  # type: ignore[union-attr]
    assert isinstance(a, Unknown) and isinstance(b, Unknown)
    return None if a.opaque and a.opaque == b.opaque else f"{b.where()}: {b.reason}"


def _same(old: tuple[Node, ...], new: tuple[Node, ...]) -> bool:
    return len(old) == len(new) and all(first_difference(x, y) is None for x, y in zip(old, new))


def _first(pairs: tuple[tuple[Node, ...], tuple[Node, ...]]) -> str | None:
    for x, y in zip(*pairs):
        found = first_difference(x, y)
        if found is not None:
            return found
    return None


def _what(node: Node) -> str:
    """A node as the user wrote it, shortly."""
    if isinstance(node, Step):
        return f"`{node.op.text}`"
    if isinstance(node, Seq):
        return _what(node.items[0]) if node.items else "nothing"
    if isinstance(node, Branch):
        return f"a branch on `{node.text}`"
    if isinstance(node, Loop):
        return f"a loop on `{node.text}`"
    if isinstance(node, Try):
        return "a `try`"
    if isinstance(node, Inlined):
        return _what(node.body)
    if isinstance(node, (Exit, Jump)):
        return f"`{node.how}`"
    assert isinstance(node, Unknown)
    return f"code rea cannot follow ({node.reason})"


def _where(node: Node) -> str:
    """``path:line`` of the first operation, condition or unknown in ``node``; empty if it has none
    (a bare `return`: the shape keeps no file for it)."""
    if isinstance(node, Step):
        return node.op.where()
    if isinstance(node, (Branch, Loop)):
        return f"{node.path}:{node.line}" if node.path else ""
    if isinstance(node, Unknown):
        return node.where()
    if isinstance(node, Seq):
        return next((w for w in map(_where, node.items) if w), "")
    if isinstance(node, Try):
        return _where(node.body)
    if isinstance(node, Inlined):
        return _where(node.body)
    return ""


def _at(node: Node, what: str) -> str:
    where = _where(node)
    return f"{where}: {what}" if where else what


def _after(items: tuple[Node, ...], what: str) -> str:
    """``what`` placed after the last located node of ``items`` (where the new code goes on)."""
    where = next((w for w in map(_where, reversed(items)) if w), "")
    return f"after {where}: {what}" if where else what
