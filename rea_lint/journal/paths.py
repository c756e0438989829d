"""The paths through a shape: each one a sequence of operations and the decisions taken.

A path lists, in order, the operations it journals (`Step`), the unknowns it meets, and the
decisions that chose it (which arm of a branch, whether a loop iterates again, which
`except` ran). Decisions carry the condition's fingerprint, so a comparison can require two
revisions to decide the same way where they compute the condition the same way. Loops are
unrolled a bounded number of times (two iterations show a body that changed between them);
a path cut there is marked `truncated`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from rea_lint.journal.ops import Op
from rea_lint.journal.shape import EMPTY, Anchor, Branch, Exit, Inlined, Jump, Loop, Node, Seq, Step, Try, Unknown, shape_key

__all__ = ["EXCEPT", "Decision", "Path", "TooManyPaths", "enumerate_paths"]

EXCEPT = "except"
"""The condition of the decisions that enter an `except` handler."""
DEFAULT_UNROLL = 2
COUNTED_UNROLL = 8
"""A loop the code counts (`Loop.count`, `range(3)`) up to this many times is unrolled as
often as it runs (past the default bound), where the paths are not being cut down to fit the cap."""
DEFAULT_CAP = 400


@dataclass(frozen=True)
class Decision:
    condition: str
    arm: object
    """Branch arm index, `iter`/`stop` for a loop, `except N` for a handler."""
    line: int
    text: str
    handlers: str = ""
    """For an `except` decision: what the `try`'s handlers journal (`shape_key`), which tells
    it from another `try` the same exception could be replayed in."""
    anchor: Anchor | None = None
    """What the condition's truth is computed from (`shape.Anchor`), if known."""
    iteration: int = 0
    """For a loop: how many times it had iterated when it decided (a counted anchor's key names it)."""

    @property
    def truth(self) -> bool:
        """The condition's value this decision shows (a `while` iterates when true)."""
        first = self.arm in (0, "iter")
        return first != (self.anchor is not None and self.anchor.negated)


Event = Union[Op, Decision, Unknown]


@dataclass(frozen=True)
class Path:
    events: tuple[Event, ...]
    truncated: bool = False
    """Cut at the loop unrolling bound: it goes on, but how is not listed."""

    @property
    def journal(self) -> list[Op | Unknown]:
        """The journaled operations and the unknowns, in order (what replay walks)."""
        return [e for e in self.events if (isinstance(e, Op) and e.kind.journaled) or isinstance(e, Unknown)]

    def decisions(self) -> dict[str, list[object]]:
        out: dict[str, list[object]] = {}
        for e in self.events:
            if isinstance(e, Decision):
                out.setdefault(e.condition, []).append(e.arm)
        return out

    def anchored(self) -> dict[str, bool] | None:
        """`Anchor.key` -> the truth this path took for it, for every decision whose condition
        is a function of journal entries; None if it took two for one (the same function of
        the same entries true once and false once): no invocation goes this way (a loop on a
        result read once, `s = await ctx.run(...)` then `while s == P`, iterating and then
        stopping)."""
        out: dict[str, bool] = {}
        last: dict[tuple[str, int, int], int] = {}
        position = 0
        for e in self.events:
            if isinstance(e, Decision):
                if e.anchor is not None and out.setdefault(e.anchor.key(last, e.iteration), e.truth) != e.truth:
                    return None
            elif isinstance(e, Unknown) or (isinstance(e, Op) and e.kind.journaled):
                if isinstance(e, Op):
                    last[(e.path, e.line, e.col)] = position
                position += 1
        return out


def try_key(node: Try) -> str:
    """What a `try`'s handlers journal, and how they end."""
    return ";".join(shape_key(h) for h in node.handlers)


class TooManyPaths(Exception):
    """More paths than the bound: the caller says "unknown" rather than compare a part."""


_NEXT, _EXIT, _BREAK, _CONTINUE, _RETURN, _CUT = "next", "exit", "break", "continue", "return", "cut"
_JUMPS = {"break": _BREAK, "continue": _CONTINUE, "return": _RETURN}
"""A `Jump`'s status: `return` ends an `Inlined` helper, the others a loop's iteration."""
_Partial = tuple[tuple[Event, ...], str]


def enumerate_paths(node: Node, unroll: int = DEFAULT_UNROLL, cap: int = DEFAULT_CAP) -> list[Path]:
    walker = _Walker(unroll, cap)
    out = walker.walk(node, [()])
    paths = [Path(events, truncated=status == _CUT) for events, status in out]
    return paths


class _Walker:
    def __init__(self, unroll: int, cap: int) -> None:
        self.unroll = unroll
        self.cap = cap

    def _check(self, items: list[_Partial]) -> list[_Partial]:
        if len(items) > self.cap:
            raise TooManyPaths(len(items))
        return items

    def walk(self, node: Node, ins: list[tuple[Event, ...]]) -> list[_Partial]:
        if not ins:
            return []
        if isinstance(node, Step):
            return [(e + (node.op,), _NEXT) for e in ins]
        if isinstance(node, Unknown):
            return [(e + (node,), _NEXT) for e in ins]
        if isinstance(node, Exit):
            return [(e, _EXIT) for e in ins]
        if isinstance(node, Jump):
            return [(e, _JUMPS[node.how]) for e in ins]
        if isinstance(node, Seq):
            cur: list[_Partial] = [(e, _NEXT) for e in ins]
            for item in node.items:
                active = [e for e, s in cur if s == _NEXT]
                done = [(e, s) for e, s in cur if s != _NEXT]
                cur = self._check(done + self.walk(item, active))
            return cur
        if isinstance(node, Branch):
            out: list[_Partial] = []
            for i, arm in enumerate(node.arms):
                out.extend(self.walk(arm, [e + (Decision(node.condition, i, node.line, node.text, anchor=node.anchor),) for e in ins]))
                self._check(out)
            return out
        if isinstance(node, Loop):
            return self._loop(node, ins)
        if isinstance(node, Try):
            return self._try(node, ins)
        if isinstance(node, Inlined):
            return [(e, _NEXT if s == _RETURN else s) for e, s in self.walk(node.body, ins)]
        raise TypeError(f"not a shape node: {node!r}")  # pragma: no cover

    def _loop(self, node: Loop, ins: list[tuple[Event, ...]]) -> list[_Partial]:
        out: list[_Partial] = []
        cur = ins
        bound = self.unroll
        if node.count is not None and node.count <= COUNTED_UNROLL and self.unroll >= DEFAULT_UNROLL:
            bound = max(bound, node.count)
        for k in range(bound + 1):
            # (a loop the code counts stops at its count, and nowhere before)
            if (k == node.count) if node.count is not None else not node.endless:
                stop = [e + (Decision(node.condition, "stop", node.line, node.text, anchor=node.anchor, iteration=k),) for e in cur]
                out.extend(self.walk(node.orelse, stop))
            if k == node.count:
                break
            if k == bound:
                out.extend((e + (Decision(node.condition, "iter", node.line, node.text, anchor=node.anchor, iteration=k),), _CUT) for e in cur)
                break
            body = self.walk(node.body, [e + (Decision(node.condition, "iter", node.line, node.text, anchor=node.anchor, iteration=k),) for e in cur])
            cur = [e for e, s in body if s in (_NEXT, _CONTINUE)]
            out.extend((e, _NEXT) for e, s in body if s == _BREAK)
            out.extend((e, s) for e, s in body if s in (_EXIT, _RETURN, _CUT))
            self._check(out)
            if not cur:
                break
        return out

    def _try(self, node: Try, ins: list[tuple[Event, ...]]) -> list[_Partial]:
        out: list[_Partial] = []
        normal: list[tuple[Event, ...]] = []
        raised: dict[tuple[int, ...], tuple[Event, ...]] = {}
        for start in ins:
            body = self.walk(node.body, [start])
            normal.extend(e for e, s in body if s == _NEXT)
            out.extend((e, s) for e, s in body if s != _NEXT)
            # an exception can be raised after any operation of the body (or before the first)
            for e, _ in body:
                for i in range(len(start), len(e) + 1):
                    if i == len(start) or isinstance(e[i - 1], (Op, Unknown)):
                        raised.setdefault(tuple(id(x) for x in e[:i]), e[:i])
            self._check(out)
        out.extend(self.walk(node.orelse, normal))
        handlers_key = try_key(node) if node.handlers else ""
        for h, handler in enumerate(node.handlers):
            entered = [e + (Decision(EXCEPT, h, node.line, "except", handlers_key),) for e in raised.values()]
            out.extend(self.walk(handler, entered))
            self._check(out)
        if node.final is not EMPTY:
            through = [(e, s) for e, s in out if s != _CUT]
            rest = [(e, s) for e, s in out if s == _CUT]
            finished: list[_Partial] = []
            for status in (_NEXT, _EXIT, _BREAK, _CONTINUE, _RETURN):
                group = [e for e, s in through if s == status]
                for e, s in self.walk(node.final, group):
                    finished.append((e, status if s == _NEXT else s))
            out = rest + finished
        return self._check(out)
