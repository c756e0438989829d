"""Replay one recorded path on a shape: walk the new code the way the old journal steers it.

Enumerating every path of the new code and pairing each with every old path grows as the
product of their branches (eight independent `if`s are 256 paths a side). Instead, the new
shape is walked depth-first along one old path: a branch whose condition the old path
decided (same fingerprint, same occurrence) takes the same arm, any other branch forks, an
exception is raised exactly where the old path raised, a `raise` of the new code goes into
the `except` that catches it (`catching`), and a walk stops at the first operation that
differs from the recorded one, or once the whole recorded path has replayed.

A guard on whether a `for` loop's iterable is empty, right before the loop (`if not items:
return`), goes the way a non-empty iterable goes where the recorded path ran the loop.

A condition computed from journal entries (`shape.Anchor`: `s = await ctx.run("s", f)`, then
`while s == P`) is decided by the recorded path wherever it decided the same computation of
the same entries, whatever its fingerprint: an entry replays the same result, so the way it
goes is no assumption, and a way the recorded path rules out is not walked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Union

from rea_lint.journal.catching import CATCHES, MISSES, catches
from rea_lint.journal.decoding import decode_break, held_break
from rea_lint.journal.changed_lines import changed_lines
from rea_lint.journal.code_names import code_names
from rea_lint.journal.ops import SUSPENDING, Field, Op, OpKind, certain_mismatch, field_mismatch, restated
from rea_lint.journal.paths import EXCEPT, Decision, Path, try_key
from rea_lint.journal.shape import EMPTY, Branch, Exit, Inlined, Jump, Loop, Node, Seq, Step, Try, Unknown, inner_nodes

__all__ = ["Budget", "Outcome", "ShapeFacts", "replay_path", "shape_facts"]

_MAX_STEPS = 200_000


@dataclass(frozen=True)
class Outcome:
    """How one way through the new code replays the recorded path."""

    kind: str
    """`replays`, `diverges` (``index``, ``new`` set; ``new`` None: the new code ends first),
    `unknown` (``unknown`` set)."""
    index: int = 0
    """0-based position in the recorded journal."""
    new: Op | None = None
    exact: bool = True
    unknown: Unknown | None = None
    assuming: tuple[Branch | Loop, ...] = ()
    """The branches this way took, and the loops it ran, that the recorded path does not
    decide (a condition new or changed in the new code, or one the old code never reached):
    the way depends on them."""
    undecodable: str = ""
    """`diverges` where the command matches but the result the old code journaled cannot be
    decoded with the class the new code reads it into (`decoding.decode_break`): why."""
    ended: Exit | None = None
    """`diverges` with ``new`` None: the `return` or `raise` this way ends at (None: it runs
    off the end of the handler)."""
    stall: "Stall | None" = None
    """`diverges` at a `WAIT` (``new``): an `await` of an awakeable replay cannot pass."""
    soft: bool = False
    """`unknown` about a value only (what a command writes, or whether its result decodes): the
    command is the one recorded, so where the value proves the same the walk goes on, and a
    certain break further on is found (the invocations past it break either way)."""


@dataclass(frozen=True)
class _LoopMark:
    loop: Loop
    iteration: int


@dataclass(frozen=True)
class _TryMark:
    node: Try


@dataclass(frozen=True)
class _InlinedMark:
    """Where an `Inlined` helper's caller goes on (its `Jump("return")` lands here)."""

    node: Inlined


_Item = Union[Node, _LoopMark, _TryMark, _InlinedMark]


class Budget(Exception):
    """The walk took too many steps: the caller answers unknown."""


@dataclass(frozen=True)
class Stall:
    """The new code awaits an awakeable (`OpKind.WAIT`) while the old journal still has
    commands to replay. Replay cannot pass it unless the journal holds the awakeable's
    completion (restate-server 1.7.12: 570 "'await' could not be replayed", no index). The
    invocations that journaled the next command stopped first at ``stop`` (the old code's first
    suspension point from there), and only those that had the completion by then go on."""

    number: int
    """Which awakeable of the invocation (1: its first `ctx.awakeable()`)."""
    stop: Op
    certain: bool
    """The old code had made fewer awakeables than ``number`` by ``stop``: none has it."""


_Stop = tuple[str, int, "int | None", Op, int]
"""An event of the old path that bears on a stall: (`wait` or `stop`, how many commands an
invocation stopped there has journaled, the awakeable a wait is on, the op, how many
awakeables the old code had made by then)."""

_MADE = ("\0awakeables", 0, 0)
"""In a walk's ``ats``: how many awakeables the way has made (and, under `_made_key`, which
number each `ctx.awakeable()` call made last)."""


def _made_key(path: str, line: int, col: int) -> tuple[str, int, int]:
    return ("\0awakeable:" + path, line, col)


def _stops(old: Path) -> list[_Stop]:
    """The old path's waits on awakeables and its suspension points, in order (`Stall`)."""
    out: list[_Stop] = []
    position = made = 0
    numbers: dict[object, int] = {}
    """(path, line, column) of a `ctx.awakeable()` -> the number it made last."""
    for e in old.events:
        if isinstance(e, Unknown):
            position += 1
        elif isinstance(e, Op):
            if e.kind is OpKind.AWAKEABLE:
                made += 1
                numbers[(e.path, e.line, e.col)] = made
            elif e.kind is OpKind.WAIT:
                out.append(("wait", position, numbers.get(e.get("awakeable").literal), e, made))
            elif e.kind.journaled:
                position += 1
                if e.kind in SUSPENDING:
                    out.append(("stop", position, None, e, made))
    return out


def _stall(stops: list[_Stop], i: int, number: int) -> Stall | None:
    """Does a wait on awakeable ``number`` at journal position ``i`` (0-based) stall the replay
    of some invocation that journaled the command at ``i``? Not where the old code waited on it
    before that command, nor where the first place such an invocation stops is that very wait
    (it went on only once the awakeable completed), or a wait rea cannot place."""
    for kind, journaled, waited, op, made in stops:
        if kind == "wait" and waited == number and journaled <= i:
            return None
        if journaled > i:
            if kind == "wait" and waited in (number, None):  # (None: an awakeable made off this way)
                return None
            return Stall(number, op, made < number)
    return None


def replay_path(old: Path, new: Node, facts: ShapeFacts | None = None) -> Iterator[Outcome]:
    """Every distinct way ``new`` can replay ``old``'s journal (see the module doc); ``facts``:
    `shape_facts(new)`, for a caller that replays many paths on one shape."""
    anchored = old.anchored()
    if anchored is None:
        return  # (a way no invocation takes: `Path.anchored`)
    conditions, slots = facts if facts is not None else shape_facts(new)
    walker = _Guided(old.journal, old.decisions(), _raises(old), conditions, anchored, slots, _stops(old))
    yield from walker.run(new)


_Raise = tuple[int, Union[tuple[str, int], None], object, str]
"""Where the old path raised: (journal position, the decision it took last before, as
(condition, how many times it was decided by then), the handler entered, what the `try`'s
handlers journal)."""


def _raises(old: Path) -> list[_Raise]:
    """The old path's exceptions, in order. A position alone does not place one: a `try` in a
    loop is at the same position at the end of one iteration and the start of the next (and
    twice, when two iterations raise before journaling), so each also carries the last
    decision before it (which iteration of which loop, which arm)."""
    out: list[_Raise] = []
    position = 0
    counts: dict[str, int] = {}
    last: tuple[str, int] | None = None
    for e in old.events:
        if isinstance(e, Decision):
            if e.condition == EXCEPT:
                out.append((position, last, e.arm, e.handlers))
            counts[e.condition] = counts.get(e.condition, 0) + 1
            last = (e.condition, counts[e.condition])
        elif isinstance(e, Unknown) or (isinstance(e, Op) and e.kind.journaled):
            position += 1
    return out


ShapeFacts = tuple[frozenset[str], frozenset[tuple[str, int, int]]]
"""What the guided walk needs to know of the whole new shape (`shape_facts`)."""


def shape_facts(node: Node) -> ShapeFacts:
    """Of a shape, in one walk: every branch and loop condition, and every `try`'s `try_key`;
    and the operations its anchored conditions read (`Anchor.slots`)."""
    conditions: set[str] = set()
    slots: set[tuple[str, int, int]] = set()
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, (Branch, Loop)):
            conditions.add(n.condition)
            if n.anchor is not None:
                slots.update(n.anchor.slots)
        if isinstance(n, Try) and n.handlers:
            conditions.add("try:" + try_key(n))
        todo.extend(inner_nodes(n))
    return frozenset(conditions), frozenset(slots)


class _Guided:
    def __init__(self, recorded, decisions, raises: list[_Raise], conditions: frozenset[str] = frozenset(),
                 anchored: dict[str, bool] | None = None, slots: frozenset[tuple[str, int, int]] = frozenset(),
                 stops: list[_Stop] | None = None) -> None:
        self.recorded = recorded
        self.stops = stops or []
        """The old path's waits and suspension points (`_stops`), for a wait of the new code."""
        self.decisions = decisions
        self.anchored = anchored or {}
        """`Anchor.key` -> the truth the recorded path took for it (`Path.anchored`)."""
        self.slots = slots if self.anchored else frozenset()
        """The operations whose last journal position the walk keeps (`_slots`)."""
        self.raises = raises
        self.conditions = conditions
        """The new shape's conditions: a raise placed after a decision the new code never
        takes (its condition changed) is placed by its position alone."""
        self._try_keys: dict[int, str] = {}
        self.steps = 0
        self.max_iterations = len(recorded) + 2

    def run(self, root: Node) -> Iterator[Outcome]:
        # state: (continuation stack, journal position, occurrences, the last decision taken,
        # how many of the recorded exceptions were raised, exact, the branches and loops taken
        # that the recorded path does not decide, where each operation an anchored condition reads
        # journaled last)
        _State = tuple[tuple[_Item, ...], int, dict[str, int], Union[tuple[str, int], None], int, bool, tuple[Union[Branch, Loop], ...],
                       dict[tuple[str, int, int], int]]
        stack: list[_State] = [((root,), 0, {}, None, 0, True, (), {})]
        while stack:
            self.steps += 1
            if self.steps > _MAX_STEPS:
                raise Budget()
            cont, i, seen, last, raised, exact, free, ats = stack.pop()
            # the recorded path raised here: inside a `try`, the new code raises here too
            found = _innermost_try(cont) if self._raises_here(i, last, raised) else None
            if found is not None and not self._same_try(found[1], self.raises[raised][3]):
                found = None  # (another `try` at the same place: the exception was the next one's)
            if found is not None:
                handler = self.raises[raised][2]
                j, node = found
                if isinstance(handler, int) and handler < len(node.handlers):
                    stack.append(((node.handlers[handler], node.final, *cont[j + 1 :]), i, seen, (EXCEPT, raised + 1), raised + 1, exact, free, ats))
                continue  # (no such handler in the new code: not this way)
            if i >= len(self.recorded):
                yield Outcome("replays")
                continue
            if not cont:  # the new code ends (returns) first
                yield self._ended(i, exact, free)
                continue
            head, rest = cont[0], cont[1:]
            if isinstance(head, Step):
                op = head.op
                if not op.kind.journaled:
                    if op.kind is OpKind.AWAKEABLE:  # (which awakeable of the invocation each makes)
                        made = ats.get(_MADE, 0) + 1
                        ats = {**ats, _MADE: made, _made_key(op.path, op.line, op.col): made}
                    elif op.kind is OpKind.WAIT:
                        number = ats.get(_made_key(*op.get("awakeable").literal))  # type: ignore[misc]
                        stall = _stall(self.stops, i, number) if number is not None else None
                        if stall is not None:
                            yield Outcome("diverges", i, op, exact, assuming=free, stall=stall)
                            continue
                    stack.append((rest, i, seen, last, raised, exact, free, ats))
                    continue
                rec = self.recorded[i]
                if isinstance(rec, Unknown):
                    yield Outcome("unknown", i, op, exact, rec)
                    continue
                why = field_mismatch(rec, op)
                place = (op.path, op.line, op.col)
                onward = (rest, i + 1, seen, last, raised, exact, free, {**ats, place: i} if place in self.slots else ats)
                soft: str | None = None
                if why is None and (rec.decoded is not None or op.decoded is not None):
                    # a state value was written by whoever set it (maybe with the key), a call's result by
                    # the callee's deployment (maybe newer code): only a run's result is certainly the old class's
                    whose = "state" if rec.kind is OpKind.GET_STATE else "call" if rec.kind is OpKind.CALL else "result"
                    broken = decode_break(rec.decoded, op.decoded, whose)
                    if broken is not None and whose == "result":
                        yield Outcome("diverges", i, op, exact, assuming=free, undecodable=broken)
                        continue
                    maybe = broken or held_break(rec.decoded, op.decoded, whose)
                    if maybe is not None:
                        soft = f"the value of `{op.text}` is {maybe}"
                elif why is not None and certain_mismatch(rec, op):
                    yield Outcome("diverges", i, op, exact, assuming=free)
                    continue
                elif why is not None:
                    name = why.split(" ", 1)[0]
                    if rec.get(name).same_computation(op.get(name)):  # (the same computation, another class)
                        soft = f"`{op.text}`: its {why}; rea cannot tell whether the bytes (which replay compares) are the same"
                    else:
                        was, now = rec.get(name), op.get(name)
                        changed = code_names(was.fingerprint, now.fingerprint, op.path)
                        reads = f" (it reads code that changed: {_listed(changed)})" if changed else ""
                        # (a value spelled out before and computed now: what changed is the expression itself)
                        lines = "" if was.is_literal or now.is_literal else _where_changed(was, now)
                        soft = (f"{restated(rec, op)} {name} is computed at run time and its computation changed{lines}{reads}; "
                                "rea cannot tell whether the value (which replay compares) is the same")
                if soft is not None:
                    yield Outcome("unknown", i, op, exact, Unknown(soft, op.path, op.line, op.col), soft=True)
                stack.append(onward)  # (where a value is unknown, where it proves the same the walk goes on)
            elif isinstance(head, Unknown):
                rec = self.recorded[i]
                if isinstance(rec, Unknown) and rec.opaque and rec.opaque == head.opaque:
                    stack.append((rest, i + 1, seen, last, raised, False, free, ats))
                else:
                    yield Outcome("unknown", i, None, exact, head)
            elif isinstance(head, Seq):
                stack.append(((*head.items, *rest), i, seen, last, raised, exact, free, ats))
            elif isinstance(head, Branch):
                truth = self._truth(head, ats)
                guarded = self._guarded(head, seen) if truth is None and head.condition not in self.decisions else None
                taken = free if head.condition in self.decisions or truth is not None or guarded is not None else (*free, head)
                after = self._seen(seen, head.condition)
                if truth is not None:  # (the first arm runs when the computation is true, or false for a negated one)
                    chosen = [0 if truth != head.anchor.negated else 1]  # type: ignore[union-attr]
                elif guarded is not None:
                    chosen = [guarded]
                else:
                    chosen = self._arms(head.condition, range(len(head.arms)), seen)
                for arm in reversed(chosen):
                    stack.append(((head.arms[arm], *rest), i, after, (head.condition, after[head.condition]), raised, exact, taken, ats))
            elif isinstance(head, (Loop, _LoopMark)):
                loop = head if isinstance(head, Loop) else head.loop
                k = 0 if isinstance(head, Loop) else head.iteration
                arms: tuple[str, ...] = ("iter",) if loop.endless else ("stop", "iter")  # (`while True` stops only by a jump)
                truth = self._truth(loop, ats, k) if loop.count is None else k < loop.count  # (a count the code fixes decides it)
                if k >= self.max_iterations:
                    arms = arms[:-1]
                    truth = None if loop.count is not None else truth  # (past the walk's bound it stops, as any loop does)
                allowed = self._arms(loop.condition, arms, seen) if truth is None else [a for a in arms if (a == "iter") == truth]
                after = self._seen(seen, loop.condition)
                # (a loop whose condition the recorded path does not decide runs as often as
                # the way needs: the way depends on it, as on an undecided branch)
                taken = (free if loop.condition in self.decisions or truth is not None or len(allowed) < 2 or loop in free
                         else (*free, loop))
                mark = (loop.condition, after[loop.condition])
                for arm in reversed(allowed):
                    if arm == "stop":
                        stack.append(((loop.orelse, *rest), i, after, mark, raised, exact, taken, ats))
                    else:
                        stack.append(((loop.body, _LoopMark(loop, k + 1), *rest), i, after, mark, raised, exact, taken, ats))
            elif isinstance(head, Jump):
                stack.append((_jumped(head, rest), i, seen, last, raised, exact, free, ats))
            elif isinstance(head, Exit):
                thrown = _thrown(head, rest, doubts=True)
                if thrown is not None:  # a `raise` inside a `try`: into the handlers that may catch it, or past
                    for way in reversed(thrown):
                        stack.append((way, i, seen, last, raised, exact, free, ats))
                    continue
                finals = _finals(rest)
                if finals:  # the `finally` of each `try` it leaves runs first
                    stack.append(((*finals, head), i, seen, last, raised, exact, free, ats))
                else:
                    yield self._ended(i, exact, free, head)
            elif isinstance(head, Try):
                stack.append(((head.body, _TryMark(head), *rest), i, seen, last, raised, exact, free, ats))
            elif isinstance(head, _TryMark):
                stack.append(((head.node.orelse, head.node.final, *rest), i, seen, last, raised, exact, free, ats))
            elif isinstance(head, Inlined):
                stack.append(((head.body, _InlinedMark(head), *rest), i, seen, last, raised, exact, free, ats))
            elif isinstance(head, _InlinedMark):
                stack.append((rest, i, seen, last, raised, exact, free, ats))
            else:  # pragma: no cover
                raise TypeError(f"not a shape node: {head!r}")

    def _truth(self, node: Branch | Loop, ats: dict[tuple[str, int, int], int], iteration: int = 0) -> bool | None:
        """The truth of an anchored condition where the recorded path decided the same
        computation of the same journal entries (for a loop over them, after as many
        iterations); None if it did not."""
        if node.anchor is None or not self.anchored:
            return None
        return self.anchored.get(node.anchor.key(ats, iteration))

    def _guarded(self, node: Branch, seen: dict[str, int]) -> int | None:
        """The arm of a guard on a loop's iterable (`Branch.nonempty`) where the recorded path
        ran that loop (its next decision on it is to iterate): the iterable was not empty.
        None where it did not, or stopped at once (an empty iterator is still true)."""
        if node.nonempty is None:
            return None
        loop, arm = node.nonempty
        recorded = self.decisions.get(loop)
        k = seen.get(loop, 0)
        return arm if recorded is not None and k < len(recorded) and recorded[k] == "iter" else None

    def _same_try(self, node: Try, handlers: str) -> bool:
        """Can the recorded exception be replayed in this `try`: one whose handlers journal what
        the recorded one's do (unless no `try` of the new code does: they changed)?"""
        if "try:" + handlers not in self.conditions:
            return True
        key = self._try_keys.get(id(node))
        if key is None:
            key = self._try_keys[id(node)] = try_key(node)
        return key == handlers

    def _raises_here(self, i: int, last: tuple[str, int] | None, raised: int) -> bool:
        """Does the next recorded exception happen here: at this journal position, after the
        same last decision (unless the new code never takes that decision)?"""
        if raised >= len(self.raises):
            return False
        position, before, _, _ = self.raises[raised]
        if position != i:
            return False
        return before == last or before is None or before[0] not in self.conditions

    def _ended(self, i: int, exact: bool, free: tuple[Branch | Loop, ...] = (), exit: Exit | None = None) -> Outcome:
        """The new code ends where the old one went on: a divergence if the old code journals
        an operation there; if what it does there is unknown (a context handed to a library),
        unknown, for that may journal nothing."""
        rec = self.recorded[i]
        if isinstance(rec, Unknown):
            return Outcome("unknown", i, None, exact, Unknown(
                f"the new code ends where the old code goes on, and what the old code does there cannot be known: {rec.reason}",
                rec.path, rec.line, rec.col))
        if exit is not None and exit.doubt:
            return Outcome("unknown", i, None, exact, Unknown(
                f"rea cannot tell whether {exit.doubt} catches `{exit.text}`: if not, the new code ends there where the old code "
                f"journals `{rec.text}` ({rec.where()}), and invocations past that point break", exit.path, exit.line))
        return Outcome("diverges", i, None, exact, assuming=free, ended=exit)

    def _arms(self, condition: str, arms, seen: dict[str, int]) -> list:
        recorded = self.decisions.get(condition)
        k = seen.get(condition, 0)
        if recorded is not None and k < len(recorded):
            return [a for a in arms if a == recorded[k]]
        return list(arms)

    @staticmethod
    def _seen(seen: dict[str, int], condition: str) -> dict[str, int]:
        out = dict(seen)
        out[condition] = out.get(condition, 0) + 1
        return out


@dataclass
class Reached:
    """What sits at one journal position along the ways that agree with a recorded prefix."""

    ops: dict[tuple[str, int, int, str], Op]
    ends: bool = False
    exits: dict[tuple[str, int], Exit] = field(default_factory=dict)
    """The `return`s and `raise`s that end a way exactly at the position (its output comes there)."""
    falls_off: bool = False
    """Some way ends exactly at the position by running off the end of the handler."""
    unknown: Unknown | None = None
    ways: int = 0


def reach(root: Node, position: int, agrees) -> Reached:
    """The operations at journal ``position`` (0-based) of ``root``, along every way whose
    earlier operations satisfy ``agrees(i, op)``. Branches are free (nothing recorded says
    how they went, beyond the operations); states already explored are not walked twice, so
    independent branches do not multiply. An exception may be raised after any operation
    inside a `try`."""
    out = Reached({})
    seen: set[tuple[tuple[object, ...], int]] = set()
    stack: list[tuple[tuple[_Item, ...], int]] = [((root,), 0)]
    steps = 0
    while stack:
        steps += 1
        if steps > _MAX_STEPS:
            raise Budget()
        cont, i = stack.pop()
        key = (tuple(map(_identity, cont)), i)
        if key in seen:
            continue
        seen.add(key)
        if not cont:
            out.ends = True
            out.falls_off = out.falls_off or i == position
            continue
        head, rest = cont[0], cont[1:]
        if isinstance(head, Step):
            op = head.op
            if not op.kind.journaled:
                stack.append((rest, i))
                continue
            if i == position:
                out.ops.setdefault((op.path, op.line, op.col, op.kind.value), op)
                out.ways += 1
                continue
            if agrees(i, op):
                stack.append((rest, i + 1))
                stack.extend(_raised(rest, i + 1))
        elif isinstance(head, Unknown):
            out.unknown = out.unknown or head
            out.ways += 1
        elif isinstance(head, Seq):
            stack.append(((*head.items, *rest), i))
        elif isinstance(head, Branch):
            for arm in head.arms:
                stack.append(((arm, *rest), i))
        elif isinstance(head, (Loop, _LoopMark)):
            loop = head if isinstance(head, Loop) else head.loop
            k = 0 if isinstance(head, Loop) else head.iteration
            if not loop.endless:
                stack.append(((loop.orelse, *rest), i))
            if k <= position + 1:
                stack.append(((loop.body, _LoopMark(loop, k + 1), *rest), i))
        elif isinstance(head, Jump):
            stack.append((_jumped(head, rest), i))
        elif isinstance(head, Exit):
            thrown = _thrown(head, rest, doubts=False)
            if thrown is not None:
                stack.extend((way, i) for way in thrown)
                continue
            finals = _finals(rest)
            if finals:
                stack.append(((*finals, head), i))
            else:
                out.ends = True
                if i == position:
                    out.exits.setdefault((head.path, head.line), head)
        elif isinstance(head, Try):
            stack.append(((head.body, _TryMark(head), *rest), i))
            stack.extend(_raised((_TryMark(head), *rest), i))
        elif isinstance(head, _TryMark):
            stack.append(((head.node.orelse, head.node.final, *rest), i))
        elif isinstance(head, Inlined):
            stack.append(((head.body, _InlinedMark(head), *rest), i))
        elif isinstance(head, _InlinedMark):
            stack.append((rest, i))
    return out


def _jumped(jump: Jump, rest: tuple[_Item, ...]) -> tuple[_Item, ...]:
    """Where a jump goes on: after the loop it breaks out of or the helper it returns from, or
    to its loop's next iteration, through the `finally` of each `try` it leaves (nowhere, for
    a jump outside a loop: not Python)."""
    target = _InlinedMark if jump.how == "return" else _LoopMark
    j = next((n for n, x in enumerate(rest) if isinstance(x, target)), None)
    if j is None:
        return ()
    return (*_finals(rest[:j]), *rest[j if jump.how == "continue" else j + 1 :])


def _finals(left: tuple[_Item, ...]) -> tuple[Node, ...]:
    """The `finally` bodies a jump or an exit runs on its way out of these, innermost first."""
    return tuple(x.node.final for x in left if isinstance(x, _TryMark) and x.node.final != EMPTY)


def _identity(item: _Item) -> object:
    """What tells one continuation's item from another's, for `reach`'s memory of the states
    it walked: a node by its identity, a mark by its node's (a mark is made anew each time,
    and a freed one's id can be another's)."""
    if isinstance(item, _LoopMark):
        return ("loop", id(item.loop), item.iteration)
    if isinstance(item, (_TryMark, _InlinedMark)):
        return (type(item).__name__, id(item.node))
    return id(item)


def _raised(cont: tuple[_Item, ...], i: int) -> list[tuple[tuple[_Item, ...], int]]:
    """Continuations after an exception at this point: into each handler of the innermost try."""
    found = _innermost_try(cont)
    if found is None:
        return []
    j, node = found
    return [((h, node.final, *cont[j + 1 :]), i) for h in node.handlers]


def _thrown(exit: Exit, rest: tuple[_Item, ...], doubts: bool) -> list[tuple[_Item, ...]] | None:
    """Where a `raise` goes from inside a `try` (None: it is not in one): into each handler
    whose `except` may catch it (`catching`), up to one that catches it for certain; past the
    `try`, through its `finally`, unless one does. With ``doubts``, the `raise` that goes past
    a clause that may have caught it carries that clause (`Exit.doubt`)."""
    if exit.how != "raise":
        return None
    found = _innermost_try(rest)
    if found is None:
        return None
    j, node = found
    after = rest[j + 1 :]
    ways: list[tuple[_Item, ...]] = []
    doubt = ""
    for handler, clause in zip(node.handlers, node.catches):
        caught = catches(clause, exit.raised)
        if caught == MISSES:
            continue
        ways.append((handler, node.final, *after))
        if caught == CATCHES:
            return ways
        doubt = doubt or f"`{clause.text}` ({clause.where()})"
    if doubts and doubt and not exit.doubt:
        exit = replace(exit, doubt=doubt)
    ways.append((node.final, exit, *after) if node.final != EMPTY else (exit, *after))
    return ways


def _innermost_try(cont: tuple[_Item, ...]) -> tuple[int, Try] | None:
    """Where the innermost `try` around this point is marked in the continuation, and the `try`."""
    for j, x in enumerate(cont):
        if isinstance(x, _TryMark):
            return j, x.node
    return None


def _listed(names: list[str]) -> str:
    return ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")


def _where_changed(old: Field, new: Field) -> str:
    """The handler's own lines a computation that changed reads and the old one did not (or the
    old one read and the new one does not), for a reason (`changed_lines`)."""
    added, removed = changed_lines(old.trail, new.trail)
    if added:
        return f" at {_listed(added)}"
    if removed:
        return f" where the old code had {_listed(removed)}"
    return ""
