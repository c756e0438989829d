"""From a 570 journal mismatch to the line of the current code, and the likely cause.

The server names a journal index and what the journal recorded there; the current code's
journal shape (`rea_lint.journal`) says which operation sits at that index along the paths
that agree with what was recorded before it. Among those, only operations that match what
the message says the code *attempted* are kept: one left is the line; none or several, and
rea says why it cannot tell. It never picks a line among candidates.

The cause is one of: a nondeterminism finding of the catalog on the handler before that
line (rule code and line), or a code change (with ``since``: the `rea diff` verdict of the
handler between that revision and now). When neither is established, it says so.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from rea_lint.catalog import DIVERGES_ON_REPLAY
from rea_lint.explain.admin import RecordedEntry
from rea_lint.explain.message import Mismatch, set_target
from rea_lint.explain.awaited import Awaited, awaited
from rea_lint.explain.rewritten import rewritten_cause
from rea_lint.journal.compare import HandlerDiff, Verdict, compare_handlers, paired_with
from rea_lint.journal.decoding import decode_break
from rea_lint.journal.ops import Op
from rea_lint.journal.replay import Location, Recorded, kinds_of_command, locate
from rea_lint.journal.shape import Exit, HandlerShape, Shapes

__all__ = ["Explanation", "Finding", "explain"]


# The server's names for a difference's field -> the journal shape's field names.
_FIELD = {"name": "name", "key": "key", "service_name": "service", "handler_name": "handler"}


@dataclass(frozen=True)
class Finding:
    code: str
    path: str
    line: int
    message: str


@dataclass
class Explanation:
    mismatch: Mismatch
    handler: HandlerShape | None = None
    op: Op | None = None
    """The operation of the current code at the mismatch's index (None: rea cannot tell)."""
    ends: bool = False
    """The current code returns at that index (the handler attempted its output)."""
    exit: Exit | None = None
    """The `return` or `raise` that ends the current code at that index, when the handler
    attempted its output there and exactly one does (its line is the answer then)."""
    awaited: Awaited | None = None
    """An `await` that could not be replayed: the awakeable and the line that awaits it."""
    undecided: str = ""
    """Why there is no line, when there is none."""
    findings: list[Finding] = field(default_factory=list)
    recorded_op: Op | None = None
    """With the old code (``since``): the operation that wrote the recorded entry, when certain."""
    diff: HandlerDiff | None = None
    since: str = ""
    old_problems: list[str] = field(default_factory=list)
    cause: str = ""
    decided_cause: bool = False
    matched: str = ""
    """How rea took ``handler`` for the message's target when their names differ."""
    input_at: str = ""
    """`path:line` of the handler's input parameter, when the 570 is the SDK ending the invocation
    because the journaled input no longer decodes with its model (``op`` is None then)."""

    @property
    def line(self) -> str | None:
        if self.op is not None:
            return self.op.where()
        if self.exit is not None:
            return self.exit.where()
        if self.awaited is not None and self.awaited.at:
            return self.awaited.at
        return self.input_at or None

    def as_dict(self) -> dict[str, object]:
        m = self.mismatch
        return {
            "service": m.service, "key": m.key, "handler": m.handler, "invocation_id": m.invocation_id,
            "index": m.command_index, "kind": m.kind, "truncated": m.truncated or None, "difference_unprinted": m.unprinted,
            "unknown_operations": m.unknown_operations,
            "recorded": describe_recorded(m), "attempted": describe_attempted(m),
            "line": self.line, "code": self.code, "ends": self.ends,
            "recorded_by": self.recorded_op.where() if self.recorded_op else None,
            "undecided": self.undecided or None,
            "cause": self.cause, "cause_decided": self.decided_cause,
            "findings": [f.__dict__ for f in self.findings],
            "diff_verdict": self.diff.verdict.value if self.diff else None,
            "diff_index": self.diff.divergence.index if self.diff and self.diff.divergence else None,
            "handler_in_code": f"{self.handler.service}/{self.handler.handler}" if self.handler else None,
            "unusable_target": m.unusable_target,
            "awakeable": ({"number": self.awaited.number, "made": self.awaited.made.where() if self.awaited.made else None}
                          if self.awaited is not None else None),
            "handler_matched": self.matched or None,
        }

    @property
    def code(self) -> str | None:
        """The operation as written, or what stands at the input parameter's line."""
        if self.op is not None:
            return self.op.text
        if self.exit is not None:
            return self.exit.text
        if self.awaited is not None and self.awaited.at:
            return self.awaited.text
        if self.input_at:
            model = self.handler.input.name if self.handler is not None and self.handler.input is not None else "?"
            return f"the handler's input, decoded as `{model}`"
        return None


def describe_recorded(m: Mismatch) -> str:
    if m.kind == "related" and m.recorded is None:
        return "? (the failure's text names no operation, and the journal read has no command at that index)"
    fields = ", ".join(f"{d.field} {d.recorded!r}" for d in m.differences)
    if not fields and m.recorded_name:  # a type mismatch: the name comes from the journal
        fields = f"name {m.recorded_name!r}"
    return " ".join(filter(None, [m.recorded or "?", fields]))


def describe_attempted(m: Mismatch) -> str:
    fields = ", ".join(f"{d.field} {d.attempted!r}" for d in m.differences)
    if not fields and m.kind == "related" and m.attempted_name:  # the name comes from the server's columns
        fields = f"name {m.attempted_name!r}"
    return " ".join(filter(None, [m.attempted or "?", fields]))


def explain(
    mismatch: Mismatch,
    shapes: Shapes,
    journal: Sequence[RecordedEntry] | None = None,
    old_shapes: Shapes | None = None,
    since: str = "",
    findings_of: Callable[[str], list[Finding]] | None = None,
    old_problems: Sequence[str] = (),
) -> Explanation:
    """``old_problems``: the files of the old code (``old_shapes``) that could not be parsed; a
    handler missing from it is then no proof that the code changed."""
    out = Explanation(mismatch, since=since, old_problems=list(old_problems))
    index = mismatch.command_index
    if journal and index is not None and 0 <= index < len(journal) and mismatch.recorded_name is None:
        entry = journal[index]
        if entry.name and (mismatch.recorded is None or entry.kind == mismatch.recorded):
            mismatch.recorded_name = entry.name
        if mismatch.recorded is None:  # (`related`: the text did not say; the journal is the record)
            mismatch.recorded = entry.kind
    if mismatch.kind == "await":
        return _await(out, shapes, old_shapes, findings_of)
    handler = _handler(mismatch, shapes)
    if not isinstance(handler, str) and old_shapes is not None:
        old = paired_with(handler, old_shapes, shapes)
        if old is not None and index is not None:
            out.recorded_op = _recorded_by(old, mismatch, journal)
    if isinstance(handler, str):
        out.undecided = handler
        out.cause = "rea cannot tell without the handler"
        return out
    out.handler = handler
    if mismatch.service and handler.computed_service and handler.service != mismatch.service:
        out.matched = (f"{handler.path}:{handler.line} computes its service's name at run time (rea calls it "
                       f"`{handler.service}`); of the handlers named {handler.handler} of such services, only its code "
                       "attempts this at that index")
    if index is None:
        out.undecided = "the message names no journal index"
        return _cause(out, shapes, old_shapes, findings_of)
    prefix = [_recorded(e) for e in (journal or [])[1:index]]
    location = locate(handler, prefix, index)
    candidates = [op for op in location.ops if _attempted_by(op, mismatch)]
    if mismatch.attempted in mismatch.unknown_operations:
        listed = ", ".join(f"{o.where()} `{o.text}`" for o in location.ops)
        out.undecided = (f"the server says the code attempted '{mismatch.attempted}', which rea does not know, so it "
                         "cannot tell which operation of the code that is"
                         + (f"; at journal index {index} the current code has {listed}" if listed and not location.unknown
                            else ""))
    elif mismatch.attempted == "output":
        out.ends = location.ends
        if location.ends and not location.unknown:
            out.exit = location.exit
            if out.exit is None:
                out.undecided = (f"the current code returns before journal index {index}, where the journal recorded "
                                 f"{describe_recorded(mismatch)}: operations were removed before it" + _exits(location))
        elif index == 1 and handler.input is not None:
            _input_ended(out, handler, old_shapes, shapes)
        else:
            out.undecided = location.reason() or f"no path of the current code returns at index {index}"
    elif location.unknown:
        out.undecided = location.unknown
    elif len(candidates) == 1:
        out.op = candidates[0]
    elif not candidates and location.ops:
        listed = ", ".join(f"{o.where()} `{o.text}`" for o in location.ops)
        out.undecided = (f"the current code has {listed} at journal index {index}, but the server says it attempted "
                         f"{describe_attempted(mismatch)}: the code rea reads is not the code that ran")
    elif candidates:
        listed = ", ".join(f"{o.where()} `{o.text}`" for o in candidates)
        out.undecided = f"several operations of the current code fit journal index {index}: {listed}"
    else:
        out.undecided = location.reason() or f"no path of the current code reaches journal index {index}"
    return _cause(out, shapes, old_shapes, findings_of)


def _await(out: Explanation, shapes: Shapes, old_shapes: Shapes | None, findings_of: Callable[[str], list[Finding]] | None) -> Explanation:
    """An `await` that could not be replayed: the awakeable it waited on, by its id, and the
    `await` of that awakeable's promise in the handler's code (`explain.awaited`)."""
    m = out.mismatch
    handler = _handler(m, shapes) if m.service and m.handler else None
    found = awaited(handler, m.notifications) if isinstance(handler, HandlerShape) else None
    out.awaited = found
    if isinstance(handler, HandlerShape):
        out.handler = handler
    if found is None or not found.at:
        why = (found.undecided if found is not None else
               "the message names no awakeable it waited on" if isinstance(handler, HandlerShape) else
               handler if isinstance(handler, str) else
               "the message names no handler (pass --handler SERVICE/HANDLER, or the server log record)")
        out.undecided = (f"the mismatch is at an `await` that could not be replayed, and the message names no journal "
                         f"index, only what it waited on; rea cannot map it to a line: {why}")
    _cause(out, shapes, old_shapes, findings_of)
    if out.diff is not None and out.diff.verdict is Verdict.COMPATIBLE and not out.findings:
        # (rea diff follows `await p` of `_, p = ctx.awakeable()` only: not a select, a helper, a promise passed on)
        out.cause = (f"rea diff finds {out.diff.service}/{out.diff.handler} compatible since {out.since}, but it follows "
                     "only an awakeable's promise awaited by its name in the code that made it: an `await` of an "
                     "awakeable added, or moved before operations the old code journaled, stalls replay so (through a "
                     "select or a helper too); compare the two versions around it")
        out.decided_cause = False
    return out


def _exits(location: Location) -> str:
    """Where the current code may end at the index, when that is not one place."""
    places = [f"{e.where()} `{e.text}`" for e in location.exits]
    if location.falls_off:
        places.append("the end of the handler")
    caught = [e for e in location.exits if e.caught]
    if caught:  # (then the code may go on past it, in a handler whose `except` rea cannot tell catches it: `catching`)
        return (f"; it may end there at {', '.join(places)}, but a handler of the `try` around "
                f"{caught[0].where()} may catch what it raises, and the code go on")
    if len(places) < 2:
        return ""
    return f"; it may end there at {', '.join(places[:-1])} or {places[-1]}, which the journal does not decide"


def _input_ended(out: Explanation, handler: HandlerShape, old_shapes: Shapes | None, shapes: Shapes) -> None:
    """The code attempted its output at index 1, where it cannot end: the SDK does so itself when
    the journaled input no longer decodes with the handler's model (restate-sdk 1.3's terminal
    "Unable to parse an input argument"). With the old code, whether the model changed so says
    whether that is it; without, rea says what to compare."""
    model = handler.input
    assert model is not None
    old = paired_with(handler, old_shapes, shapes) if old_shapes is not None else None
    if old is not None and decode_break(old.input, model, "input") is not None:
        out.input_at = f"{handler.path}:{handler.input_line}"
        return
    out.undecided = (f"no path of the current code returns at index 1; the SDK ends an invocation there itself when it "
                     f"cannot decode its input into `{model.name}` ({model.where})"
                     + ("" if old_shapes is not None else ": if that model changed since the invocation started, that is "
                        "the cause (pass --since REV, the revision that was deployed, to compare)"))


def _recorded_by(old: HandlerShape, m: Mismatch, journal: Sequence[RecordedEntry] | None) -> Op | None:
    """The operation of the old code that wrote the recorded entry, when exactly one fits."""
    index = m.command_index or 0
    prefix = [_recorded(e) for e in (journal or [])[1:index]]
    location = locate(old, prefix, index)
    if location.unknown:
        return None
    fits = [op for op in location.ops if _recorded_fits(op, m)]
    return fits[0] if len(fits) == 1 else None


def _recorded_fits(op: Op, m: Mismatch) -> bool:
    if m.recorded:
        kinds = kinds_of_command(m.recorded)
        if kinds and op.kind not in kinds:
            return False
    for d in m.differences:
        name = _FIELD.get(d.field)
        f = op.fields.get(name) if name else None
        if f is not None and f.is_literal and f.literal is not None and str(f.literal) != d.recorded:
            return False
    if m.recorded_name is not None and op.kind.value in ("run", "sleep"):
        f = op.fields.get("name")
        if f is not None and f.is_literal and f.literal is not None and str(f.literal) != m.recorded_name:
            return False
    return True


def _handler(m: Mismatch, shapes: Shapes) -> HandlerShape | str:
    if m.service and m.handler:
        found = shapes.definitions((m.service, m.handler))
        if not found:  # a service whose name the code computes: the one of that handler name that fits
            computed = [h for h in shapes.every() if h.computed_service and h.handler == m.handler]
            fitting = [h for h in computed if _fits(h, m)]
            if len(fitting) == 1:
                return fitting[0]
            some = ", ".join(f"{h.service}/{h.handler} ({h.path}:{h.line})" for h in computed)
            return (f"no handler {m.service}/{m.handler} in the code rea read (pass the service's source paths; "
                    f"{len(shapes)} handler{'s' * (len(shapes) != 1)} found)"
                    + (f"; the code computes the service name of {some} at run time, and "
                       f"{'several of them attempt' if fitting else 'none of them attempts'} this at that index"
                       if computed else ""))
        if len(found) > 1:  # several apps of a repository define it: the one whose code fits
            fitting = [shape for shape in found if _fits(shape, m)]
            if len(fitting) != 1:
                where = ", ".join(f"{h.path}:{h.line}" for h in found)
                return (f"{m.service}/{m.handler} is defined in {len(found)} places ({where}), and "
                        + ("the code of several of them" if fitting else "the code of none of them")
                        + " attempts this at that index; pass the path of the app that ran it")
            return fitting[0]
        return found[0]
    fitting = _fitting_handlers(m, shapes)
    if len(fitting) == 1:
        m.inferred_target = True
        set_target(m, f"{fitting[0].service}/{fitting[0].handler}")
        return fitting[0]
    repeated = len({h.key for h in fitting}) < len(fitting)  # (several apps define one of them: say where)
    some = ", ".join(f"{h.service}/{h.handler}" + (f" ({h.path}:{h.line})" if repeated else "") for h in fitting[:5])
    some += " ..." if len(fitting) > 5 else ""
    unknown = m.attempted in m.unknown_operations
    named = (f"the message's target {m.unusable_target!r} is no SERVICE/HANDLER target" if m.unusable_target is not None
             else "the message does not name the service and handler")
    return (named
            + (f", and rea does not know the operation it names ('{m.attempted}'), so it cannot find the handler by it"
               if unknown else
               f", and {len(fitting)} handlers of the code could have attempted it ({some})" if fitting else
               ", and no handler of the code attempts it at that index")
            + "; pass --handler SERVICE/HANDLER (the server log's `restate.invocation.target`, or the invocation's target)")


def _fitting_handlers(m: Mismatch, shapes: Shapes) -> list[HandlerShape]:
    """Handlers whose code can attempt, at the mismatch's index, what the message says was attempted."""
    out = [shape for shape in shapes.every() if _fits(shape, m)]
    return sorted(out, key=lambda h: (h.service, h.handler))


def _fits(shape: HandlerShape, m: Mismatch) -> bool:
    """Can the handler's code attempt, at the mismatch's index, what the message says was attempted?"""
    if m.command_index is None or m.command_index < 1 or m.attempted in (None, *m.unknown_operations):
        return False
    location = locate(shape, [], m.command_index)
    if m.attempted == "output":  # (its output: some way of its code ends there)
        return not location.unknown and (bool(location.exits) or location.falls_off)
    return not location.unknown and any(_attempted_by(op, m) for op in location.ops)


def _recorded(entry: RecordedEntry) -> Recorded:
    fields: dict[str, object] = {}
    if entry.kind in ("run", "sleep"):
        fields["name"] = entry.name
    elif entry.kind in ("get_state", "set_state", "clear_state", "get_promise", "peek_promise", "complete_promise"):
        key = entry.fields.get("key")
        if isinstance(key, str):
            fields["key"] = key
    elif entry.kind in ("call", "send"):
        target = entry.fields.get("invoked_target")
        if isinstance(target, str) and target.count("/") in (1, 2):
            parts = target.split("/")
            fields["service"], fields["handler"] = parts[0], parts[-1]
    return Recorded(entry.kind or "", fields)


def _attempted_by(op: Op, m: Mismatch) -> bool:
    """Could ``op`` be what the message says the code attempted?"""
    if m.attempted:
        kinds = kinds_of_command(m.attempted)
        if kinds and op.kind not in kinds:
            return False
    for d in m.differences:
        name = _FIELD.get(d.field)
        f = op.fields.get(name) if name else None
        if f is not None and f.is_literal and f.literal is not None and str(f.literal) != d.attempted:
            return False
    if m.attempted_name and op.kind.value in ("run", "sleep"):
        f = op.fields.get("name")
        if f is not None and f.is_literal and f.literal is not None and str(f.literal) != m.attempted_name:
            return False
    return True


def _cause(out: Explanation, shapes: Shapes, old_shapes: Shapes | None, findings_of: Callable[[str], list[Finding]] | None) -> Explanation:
    handler = out.handler
    if handler is not None and findings_of is not None:
        end = out.op.line if out.op is not None and out.op.path == handler.path else None
        out.findings = [f for f in _handler_findings(handler, findings_of) if end is None or f.line <= end]
    if handler is not None and old_shapes is not None:
        old = paired_with(handler, old_shapes, shapes)
        if old is not None:
            out.diff = compare_handlers(old, handler)
    reasons = []
    if out.findings:
        first = out.findings[0]
        reasons.append(f"nondeterminism: {first.code} at {first.path}:{first.line} ({first.message})"
                       + (f" and {len(out.findings) - 1} more finding(s) on this handler" if len(out.findings) > 1 else ""))
    diff = out.diff
    if diff is not None and diff.divergence is not None and diff.divergence.undecodable:
        # (a result that no longer decodes fails without a 570: it cannot be this one's cause,
        # and rea diff's first break hides what comes after it)
        d = diff.divergence
        decided = bool(reasons)  # (a nondeterminism finding may still be the cause)
        reasons.append(f"a code change since {out.since}, which rea diff breaks at journal index {d.index} on a recorded result "
                       f"that no longer decodes ({diff.reason}); that fails without a 570, so this 570 comes from something "
                       "else rea diff did not reach: fix that first, then explain again")
        out.cause, out.decided_cause = "; ".join(reasons), decided
        return out
    if diff is not None and diff.verdict is Verdict.BREAKING and diff.divergence is not None:
        d = diff.divergence
        at = "" if out.mismatch.command_index in (None, d.index) else (
            f"; note: rea diff's first divergence is at index {d.index}, the server's at {out.mismatch.command_index}")
        old_where = d.old.where() if d.old else "its end"
        new_where = d.new.where() if d.new else d.ended.where() if d.ended else "its end"
        if d.earlier is not None and out.mismatch.command_index == d.earlier[0]:
            # (this invocation broke at the value rea diff could not compare, before the certain break)
            reasons.append(f"a code change since {out.since}: rea diff says breaking at journal index {d.index} "
                           f"({old_where} then, {new_where} now), and that invocations may break before it, at this index: "
                           f"{d.earlier[1]}")
        else:
            reasons.append(f"a code change since {out.since}: rea diff says breaking at journal index {d.index} "
                           f"({old_where} then, {new_where} now): {diff.reason}{at}")
    elif diff is not None and diff.verdict is not Verdict.COMPATIBLE:
        reasons.append(f"a code change since {out.since}: rea diff says {diff.verdict.value}: {diff.reason}")
    elif diff is not None:
        out.cause = (f"not a code change since {out.since}: rea diff finds {handler.service}/{handler.handler} "  # type: ignore[union-attr]
                     "compatible" + ("; " + reasons[0] if reasons else "; rea cannot tell what else differed on replay"))
        out.decided_cause = bool(reasons)
        return out
    unparsed = ""
    if diff is None and handler is not None and old_shapes is not None:
        if out.old_problems:
            more = f" and {len(out.old_problems) - 1} more" if len(out.old_problems) > 1 else ""
            unparsed = (f"the code --since {out.since} names cannot be parsed ({out.old_problems[0]}{more}), "
                        "and the handler is not in what rea could read of it, so rea cannot compare the two "
                        "(is it the code that was deployed? the code that ran parsed)")
        else:
            reasons.append(f"a code change since {out.since}: the handler did not exist then")
    if reasons:
        out.cause = "; ".join(reasons + ([f"besides, {unparsed}"] if unparsed else []))
        out.decided_cause = True
    elif unparsed:
        out.cause = f"rea cannot tell: no nondeterminism finding on this handler; {unparsed}"
    elif old_shapes is None and (rewritten := rewritten_cause(out.mismatch, out.op)) is not None:
        out.cause, out.decided_cause = rewritten, True
    else:
        out.cause = ("rea cannot tell: no nondeterminism finding on this handler"
                     + ("" if old_shapes is not None else
                        "; if the code changed while the invocation was in flight, pass --since REV "
                        "(the revision that was deployed) to compare"))
    return out


def _handler_findings(handler: HandlerShape, findings_of: Callable[[str], list[Finding]]) -> list[Finding]:
    """Nondeterminism findings inside the handler function (and the helpers its ops go through)."""
    span = _span(handler.path, handler.line)
    found = [f for f in findings_of(handler.path)
             if f.code in DIVERGES_ON_REPLAY and span[0] <= f.line <= span[1]]
    return sorted(found, key=lambda f: f.line)


def _span(path: str, line: int) -> tuple[int, int]:
    """First and last line of the function defined at ``line`` (decorators included)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return (line, line)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first <= line <= node.lineno or node.lineno == line:
                return (first, node.end_lineno or node.lineno)
    return (line, line)
