"""Verdicts: does a journal the old code wrote still replay on the new code?

An invocation in flight has journaled a prefix of one of the old code's paths. Replaying it,
the new code must attempt, command by command, what was recorded (same command type, same
compared fields, `ops.COMPARED_FIELDS`); after the recorded prefix it runs freely. So a
handler is compatible when, for every old path, every new path that decides the same way
where both compute a condition the same way (same fingerprint) journals that whole old path
as its own prefix. Operations appended after every old path ends, changes inside run
actions, and changes to fields the protocol does not compare (a sleep's duration) keep it
compatible. The first place where some such new path attempts something else, or ends,
breaks every invocation whose journal already reaches that place.

Where a path meets an unknown (a context handed to code rea cannot see), the verdict is
unknown, unless both revisions make the very same opaque call at the same place, in which
case it journals the same in both.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Sequence

from rea_lint.journal.code_names import shared_directories
from rea_lint.journal.decoding import decode_break, held_break
from rea_lint.journal.difference import first_difference
from rea_lint.journal.ops import SUSPENDING, Op, OpKind, field_mismatch, ordinal, restated
from rea_lint.journal.guided import Budget, Outcome, ShapeFacts, Stall, replay_path, shape_facts
from rea_lint.journal.paths import DEFAULT_UNROLL, Path, TooManyPaths, enumerate_paths
from rea_lint.journal.shape import Exit, HandlerShape, Node, Shapes, Unknown

__all__ = ["Divergence", "HandlerDiff", "ProjectDiff", "Verdict", "compare_handlers", "diff_projects", "paired_with"]

OLD_PATHS_CAP = 4096
"""Ways through the old code beyond which the verdict is unknown (each is replayed on the new code)."""


class Verdict(str, enum.Enum):
    COMPATIBLE = "compatible"
    BREAKING = "breaking"
    UNKNOWN = "unknown"
    REMOVED = "removed"
    """The handler is gone (or renamed): invocations in flight fail (no such handler)."""
    ADDED = "added"
    KIND_CHANGED = "kind-changed"


ADVICE = (
    "keep the old deployment registered until its invocations drain (serve the new code at a new URL "
    "and register it: Restate's versioning keeps invocations in flight on the old deployment), or make "
    "the change conditional on a version carried in the invocation's input (a field or header that new "
    "callers send, read with `ctx.request()`; the input is journal index 0), so invocations already in "
    "flight keep the old path"
)


@dataclass(frozen=True)
class Divergence:
    """The first operation where some old journal and the new code part ways."""

    index: int | None
    """Journal index (the input is 0, the handler's first operation 1), as the server reports
    it; None when an opaque call (which journals an unknown number of entries) comes first."""
    old: Op | None
    """What the old code recorded there (None: the old path ends there; only for `unknown`)."""
    new: Op | None
    """What the new code attempts there (None: it ends, i.e. returns or raises, first)."""
    reason: str
    suspended_at: Op | None = None
    """The first point at or after ``old`` where an invocation can be waiting (an awaited operation)."""
    assuming: tuple[str, ...] = ()
    """The conditions the way to it depends on that an invocation's journal does not decide
    (new or changed in the new code), as `cond` (path:line): the break happens only to the
    invocations for which they go that way."""
    undecodable: bool = False
    """The command matches, but the result the old code journaled for it cannot be decoded
    with the new code's class (`decoding`): no 570, a failure Restate retries for good."""
    ended: Exit | None = None
    """With ``new`` None: the `return` or `raise` the new code ends at (None: it runs off the
    handler's end, or the way is not known)."""
    earlier: tuple[int, str] | None = None
    """A journal index before ``index`` where invocations may break already, and why: a value
    there rea cannot compare (`guided.Outcome.soft`). The invocations past ``index`` break
    either way; those between the two may."""

    def states(self) -> str:
        """Which invocations break, in words."""
        if self.old is None:
            return "invocations in flight"
        holds = "the result of " if self.undecodable else ""
        first = f"invocations whose journal already holds {holds}`{self.old.text}` ({self.old.where()})"
        if self.suspended_at is not None:
            s = self.suspended_at
            return f"{first}: those suspended at or after `{s.text}` ({s.where()})"  # (not `await ...`: it may be awaited later, through a handle)
        return first


@dataclass(frozen=True)
class HandlerDiff:
    service: str
    handler: str
    verdict: Verdict
    old: HandlerShape | None
    new: HandlerShape | None
    divergence: Divergence | None = None
    reason: str = ""
    """Why, in one sentence (unknown: what made it unknowable and where)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.service, self.handler)

    @property
    def breaking(self) -> bool:
        return self.verdict in (Verdict.BREAKING, Verdict.REMOVED, Verdict.KIND_CHANGED)

    @property
    def advice(self) -> str:
        return ADVICE if self.breaking else ""


@dataclass
class ProjectDiff:
    handlers: list[HandlerDiff] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Files that could not be parsed (where that can hide a handler or a helper one inlines),
    handlers defined twice (one line each)."""
    not_compared: list[str] = field(default_factory=list)
    """Files one side could not read, decode or parse, changed by the change (`uncompared`): the handlers they
    define are unknown, and the run does not pass."""

    @property
    def breaking(self) -> bool:
        return any(h.breaking for h in self.handlers)

    @property
    def unknown(self) -> bool:
        return any(h.verdict is Verdict.UNKNOWN for h in self.handlers)

    def services(self) -> dict[str, str]:
        """Services removed entirely (every handler gone): name -> `removed`. One whose handlers
        are unknown (their file does not parse on the new side) is not known to be gone."""
        gone: dict[str, bool] = {}
        new: set[str] = set()
        for h in self.handlers:
            if h.old is not None:
                gone[h.service] = gone.get(h.service, True) and h.verdict is Verdict.REMOVED
            if h.new is not None:
                new.add(h.service)
        return {s: "removed" for s, all_gone in gone.items() if all_gone and s not in new}


def compare_handlers(old: HandlerShape, new: HandlerShape) -> HandlerDiff:
    """The verdict for one handler between two revisions."""
    if old.kind != new.kind or old.service_kind != new.service_kind:
        return HandlerDiff(
            old.service, old.handler, Verdict.KIND_CHANGED, old, new,
            reason=f"the handler changed from {_kind_words(old)} to {_kind_words(new)}: "
                   "Restate routes and stores its invocations differently",
        )
    return _input_checked(_compare_paths(old, new))


_SERVICE_WORDS = {"service": "a service", "object": "a virtual object", "workflow": "a workflow"}
_HANDLER_WORDS = {"service": "handler", "exclusive": "exclusive handler", "shared": "shared handler", "workflow": "run handler",
                  "unknown": "handler (of a kind rea cannot tell)"}


def _kind_words(shape: HandlerShape) -> str:
    """`a virtual object's exclusive handler`, `a service's handler` (not `service service`)."""
    owner = _SERVICE_WORDS.get(shape.service_kind, f"a {shape.service_kind}")
    return f"{owner}'s {_HANDLER_WORDS.get(shape.kind, f'{shape.kind} handler')}"


def _compare_paths(old: HandlerShape, new: HandlerShape) -> HandlerDiff:
    if same_shape(old.shape, new.shape):
        return HandlerDiff(old.service, old.handler, Verdict.COMPATIBLE, old, new,
                           reason="the new code journals what the old code does, the same way (only lines moved, if anything)")
    try:
        old_paths = enumerate_paths(old.shape, cap=OLD_PATHS_CAP)
    except TooManyPaths:
        return _kept(_too_many_paths(old, new))
    return _kept(_verdict(old, new, old_paths))


def _input_checked(found: HandlerDiff) -> HandlerDiff:
    """The input (journal index 0) is decoded at every replay: a model that an input sent for the
    old one may not fit makes a compatible verdict unknown, and is added to any other's reason."""
    old, new = found.old, found.new
    if old is None or new is None or (old.input is None and new.input is None):
        return found
    broken = decode_break(old.input, new.input, "input") or held_break(old.input, new.input, "input")
    if broken is None:
        return found
    said = f"the handler's input (journal index 0, {new.path}:{new.line}) is {broken}"
    if found.verdict is Verdict.COMPATIBLE:
        return replace(found, verdict=Verdict.UNKNOWN, reason=said)
    return replace(found, reason=f"{found.reason}; besides, {said}")


def _kept(found: HandlerDiff) -> HandlerDiff:
    """A compatible verdict, unless code kept to be called later (`OpKind.STORED`: a saga's
    compensation lambdas) changed: it journals where it is called, which rea does not follow,
    so the verdict is unknown (a retargeted compensation was "compatible")."""
    if found.verdict is not Verdict.COMPATIBLE or found.old is None or found.new is None:
        return found
    kept = [op for op in found.old.ops() if op.kind is OpKind.STORED]
    left = list(kept)
    for op in found.new.ops():
        if op.kind is not OpKind.STORED:
            continue
        same = next((k for k in left if field_mismatch(k, op) is None), None)
        if same is None:
            return replace(found, verdict=Verdict.UNKNOWN, reason=(
                f"`{op.text}` ({op.where()}) uses the context and is kept to be called later (a saga's compensation?), "
                "and what it journals changed; where it is called, rea does not follow"))
        left.remove(same)
    if left:
        op = left[0]
        return replace(found, verdict=Verdict.UNKNOWN, reason=(
            f"the old code kept `{op.text}` ({op.where()}) to be called later (a saga's compensation?), and the new code "
            "keeps no such code; where it is called, rea does not follow"))
    return found


def _too_many_paths(old: HandlerShape, new: HandlerShape) -> HandlerDiff:
    """More ways through the old code than `OLD_PATHS_CAP`: the ways with each loop run fewer
    times are a part of them, and a break along any of them is a break (an invocation can be
    on it); finding none proves nothing."""
    unknown = HandlerDiff(old.service, old.handler, Verdict.UNKNOWN, old, new,
                          reason=f"the old handler has more than {OLD_PATHS_CAP} paths through its operations, and the new one "
                                 f"differs (first at {first_difference(old.shape, new.shape)}); rea does not compare a part of them")
    for unroll in range(DEFAULT_UNROLL - 1, -1, -1):
        try:
            some = enumerate_paths(old.shape, unroll=unroll, cap=OLD_PATHS_CAP)
        except TooManyPaths:
            continue
        found = _verdict(old, new, some)
        if found.verdict is Verdict.BREAKING:
            times = "once" if unroll == 1 else "not at all"
            return replace(found, reason=f"{found.reason} (found along the ways that run each loop {times}: the old handler "
                                         f"has more than {OLD_PATHS_CAP} ways through it in all)")
        break
    return unknown


def _verdict(old: HandlerShape, new: HandlerShape, old_paths: list[Path]) -> HandlerDiff:
    """Replay each way through the old code on the new code."""
    first_break: Divergence | None = None
    first_unknown: Unknown | None = None
    facts = shape_facts(new.shape)  # (once: every old path replays on it)
    try:
        for p in old_paths:
            result = _replay_on(p, new, facts)
            if isinstance(result, Divergence):
                if first_break is None or _order(result) < _order(first_break):
                    first_break = result
            elif isinstance(result, Unknown) and first_unknown is None:
                first_unknown = result
    except Budget:
        return HandlerDiff(old.service, old.handler, Verdict.UNKNOWN, old, new,
                           reason="the handlers' branches and loops are too many to follow every way through them")
    if first_break is not None:
        return HandlerDiff(old.service, old.handler, Verdict.BREAKING, old, new, first_break, reason=first_break.reason)
    if first_unknown is not None:
        return HandlerDiff(old.service, old.handler, Verdict.UNKNOWN, old, new,
                           reason=f"{first_unknown.reason} ({first_unknown.where()})")
    return HandlerDiff(old.service, old.handler, Verdict.COMPATIBLE, old, new,
                       reason="every journal the old code can write replays on the new code")


def same_shape(a: Node, b: Node) -> bool:
    """Do two shapes journal alike, wherever their lines are (`difference.first_difference`)? Then
    every journal of the old code replays on the new code, however many ways there are through it
    (an unchanged handler with more than `OLD_PATHS_CAP` of them is compatible, not unknown)."""
    return first_difference(a, b) is None


def _order(d: Divergence) -> tuple[int, bool, bool, int]:
    """Earliest first: by journal index (inexact ones last), then one that depends on no
    undecided condition, then one along a way an invocation can still be waiting on (a
    suspension point past it: an invocation in flight is suspended somewhere, and `states`
    names where), then by the old line."""
    return (d.index if d.index is not None else 1 << 30, bool(d.assuming), d.suspended_at is None, d.old.line if d.old is not None else 0)


def ending(exit: Exit | None) -> str:
    """How the new code ends where the old code went on: the `return` or `raise` it reaches, or
    the handler's end."""
    if exit is None:
        return "it runs to the end of the handler"
    return f"`{exit.text}`, {exit.where()}"  # (a `raise` a handler may catch ends a way only as an unknown: `guided._ended`)


def _replay_on(old: Path, new: HandlerShape, facts: ShapeFacts) -> Divergence | Unknown | None:
    """Replay every prefix of one old path on the new code (`guided.replay_path`): the
    earliest divergence along a way the new code can take, else an unknown met, else None."""
    recorded = old.journal
    best: Divergence | None = None
    unknown: Unknown | None = None
    soft: Outcome | None = None
    for outcome in replay_path(old, new.shape, facts):
        if outcome.kind == "diverges":
            rec = recorded[outcome.index]
            assert isinstance(rec, Op)
            if outcome.stall is not None:
                reason = _stalled(rec, outcome.new, outcome.stall)  # type: ignore[arg-type]
            elif outcome.new is None:
                reason = f"the old code journals `{rec.text}` ({rec.where()}) where the new code ends ({ending(outcome.ended)})"
            elif outcome.undecodable:
                reason = f"the result of `{outcome.new.text}` ({outcome.new.where()}) is {outcome.undecodable}"
            else:
                reason = _describe(rec, outcome.new, field_mismatch(rec, outcome.new) or "")
            assuming = tuple(dict.fromkeys(f"`{b.text}` ({b.where()})" for b in outcome.assuming))
            if assuming:
                reason += (f", along a way that depends on {', '.join(assuming)}, which the journal of an invocation in "
                           "flight does not decide (a condition new or changed): only invocations for which it goes that way break")
            # (a result cannot fail to decode before it is journaled: the invocations waiting for it run it anew)
            waits = _suspension(recorded, outcome.index + 1 if outcome.undecodable else outcome.index)
            d = Divergence(outcome.index + 1 if outcome.exact else None, rec, outcome.new, reason, waits, assuming,
                           bool(outcome.undecodable), ended=outcome.ended)
            if best is None or _order(d) < _order(best):
                best = d
        elif outcome.kind == "unknown":
            unknown = unknown or outcome.unknown
            if outcome.soft and (soft is None or outcome.index < soft.index):
                soft = outcome
    if best is not None and soft is not None and soft.unknown is not None and (best.index is None or soft.index + 1 < best.index):
        u = soft.unknown
        best = replace(best, reason=f"{best.reason}; invocations may break before it, at journal index {soft.index + 1}: {u.reason} ({u.where()})",
                       earlier=(soft.index + 1, f"{u.reason} ({u.where()})"))
    return best if best is not None else unknown


def _suspension(recorded: Sequence[Op | Unknown], start: int) -> Op | None:
    for rec in recorded[start:]:
        if isinstance(rec, Op) and rec.kind in SUSPENDING:
            return rec
    return None


def _stalled(rec: Op, wait: Op, stall: Stall) -> str:
    """Why a wait on an awakeable breaks replay (`guided.Stall`)."""
    stop = f"`{stall.stop.text}` ({stall.stop.where()})"
    return (f"the new code waits on the invocation's {ordinal(stall.number)} awakeable (`{wait.text}`, {wait.where()}) "
            f"where the old code journals `{rec.text}` ({rec.where()}): replay cannot pass the wait while that remains "
            "to replay unless the journal holds the awakeable's completion, "
            + (f"which no invocation stopped at {stop} can hold (the old code had not made that awakeable by then)"
               if stall.certain else f"which an invocation stopped at {stop} may not hold yet: those break")
            + "; the server fails them with 570 ('await' could not be replayed)")


def _describe(rec: Op, att: Op, why: str) -> str:
    if rec.kind is not att.kind:
        return f"the old code journals {rec.label()} (`{rec.text}`) where the new code attempts {att.label()} (`{att.text}`)"
    return f"{restated(rec, att)} {why}, and replay compares it"


def diff_projects(old: Shapes, new: Shapes, problems: Sequence[str] = ()) -> ProjectDiff:
    """One verdict per handler of either revision, in (service, handler) order; a handler
    defined in several apps of a repository, one per definition (`_pairs`)."""
    out = ProjectDiff(problems=list(problems))
    for key in sorted(set(old) | set(new)):
        olds, news = old.definitions(key), new.definitions(key)
        for o, n in _pairs(olds, news):
            if o is not None and n is not None:
                out.handlers.append(compare_handlers(o, n))
            elif o is not None:
                out.handlers.append(_removed(o, old, new, news))
            elif n is not None:
                out.handlers.append(HandlerDiff(n.service, n.handler, Verdict.ADDED, None, n, reason="a new handler: nothing in flight"))
    return out


def _pairs(olds: list[HandlerShape], news: list[HandlerShape]) -> list[tuple[HandlerShape | None, HandlerShape | None]]:
    """Which old definition of a handler each new one replaces: one each, whatever the files
    (a file moved or renamed); else the same function in the same file (a test module makes
    `greeter/greet` in each test function: a test inserted between two moves neither), then
    the same function in a file of the same name (an app's directory renamed), then in the same
    directory (a file of the app renamed), then two whose paths are nearer each other than
    either is to any other definition (a file moved within its app). Any other is gone, or new:
    two definitions left over may well be two apps, one removed and one added."""
    if len(olds) <= 1 and len(news) <= 1:
        return [(olds[0] if olds else None, news[0] if news else None)]
    everyone = [*olds, *news]
    pairs: list[tuple[HandlerShape | None, HandlerShape | None]] = []
    left = list(news)
    for same in (_same_place, _same_function, _same_directory):
        rest = []
        for o in olds:
            n = next((n for n in left if same(o, n)), None)
            if n is None:
                rest.append(o)
            else:
                left.remove(n)
                pairs.append((o, n))
        olds = rest
    for o in list(olds):
        n = max(left, key=lambda n: shared_directories(o.path, n.path), default=None)
        if n is None:
            break
        near = shared_directories(o.path, n.path)
        if near and all(shared_directories(o.path, x.path) < near > shared_directories(n.path, x.path)
                        for x in everyone if x is not o and x is not n):
            olds.remove(o)
            left.remove(n)
            pairs.append((o, n))
    return [*pairs, *((o, None) for o in olds), *((None, n) for n in left)]


def paired_with(shape: HandlerShape, old: Shapes, new: Shapes) -> HandlerShape | None:
    """The definition in ``old`` that ``shape``, one of ``new``'s, is compared with (None: it is new)."""
    for o, n in _pairs(old.definitions(shape.key), new.definitions(shape.key)):
        if n is shape:
            return o
    return None


def _same_place(o: HandlerShape, n: HandlerShape) -> bool:
    return o.function == n.function and o.path == n.path


def _same_function(o: HandlerShape, n: HandlerShape) -> bool:
    return o.function == n.function and PurePath(o.path).name == PurePath(n.path).name


def _same_directory(o: HandlerShape, n: HandlerShape) -> bool:
    return o.function == n.function and PurePath(o.path).parent == PurePath(n.path).parent


def _removed(o: HandlerShape, old: Shapes, new: Shapes, others: list[HandlerShape]) -> HandlerDiff:
    if others:  # defined in another app still
        where = ", ".join(f"{n.path}:{n.line}" for n in others)
        reason = (f"the handler {o.service}/{o.handler} of {o.path} is gone (the new code defines it only in "
                  f"{where}, each paired with its own old definition)")
    else:
        reason = f"the handler {o.service}/{o.handler} is gone"
        renamed = _renamed_to(o, new, old)
        if renamed:
            reason += f" (renamed to {renamed}?)"
    reason += ": invocations in flight, and calls and sends to it, fail"
    return HandlerDiff(o.service, o.handler, Verdict.REMOVED, o, None, reason=reason)


def _renamed_to(gone: HandlerShape, new: Shapes, old: Shapes) -> str | None:
    """A new handler that looks like the gone one: the same Python function, or the same
    service with the same operations."""
    labels = [op.label() for op in gone.ops()]
    for key, shape in sorted(new.items()):
        if key in old:
            continue
        if (shape.function == gone.function and shape.path == gone.path) or (
            shape.service == gone.service and labels and [op.label() for op in shape.ops()] == labels
        ):
            return f"{shape.service}/{shape.handler}"
    return None
