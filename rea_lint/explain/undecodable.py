"""`rea explain` for the failure that is no 570: a journaled value the code can no longer decode.

After a deploy that changed a model (a field added without a default), the invocations whose
journal holds a value written for the old model fail at every retry, on the SDK's decoder:
pydantic's `ValidationError` ("1 validation error for Quote / currency / Field required"),
dacite's `MissingValueError` ("missing value for field "warehouse"") or `WrongTypeError` (a
field whose type changed: "wrong value type for field "amount" ..."). The SDK's traceback, in
the failure's text, ends at the `await` that decoded it. This names that line of the current
code, the class and fields, and, with the deployed code (``--since``), whether the change made
it (`rea diff`'s verdict: `journal.decoding`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rea_lint.explain.message import Frame, clean_text, traceback_frames
from rea_lint.journal.compare import HandlerDiff, compare_handlers, paired_with
from rea_lint.journal.ops import Op
from rea_lint.journal.shape import HandlerShape, Shapes

__all__ = ["Undecodable", "explain_undecodable", "parse_undecodable"]

_PYDANTIC = re.compile(r"(\d+) validation errors? for (\w+)\n(?P<body>(?:.*\n?)*?)(?=\n\S|\Z|Traceback)")
_PYDANTIC_FIELD = re.compile(r"^(?P<loc>[^\s][^\n]*)\n\s+(?P<msg>[^\n]*)", re.M)
_DACITE = re.compile(r'missing value for field "(?P<field>[^"]+)"')
_DACITE_TYPE = re.compile(r'wrong value type for field "(?P<field>[^"]+)" - should be "(?P<want>[^"]+)" instead of value')
_TARGET = re.compile(r"restate\.invocation\.target:\s*(?P<target>\S+)")
_ID = re.compile(r"restate\.invocation\.id:\s*(?P<id>inv_\w+)")


@dataclass
class Undecodable:
    """What a decoder's failure says."""

    error: str
    """`pydantic ValidationError`, `dacite MissingValueError` or `dacite WrongTypeError`."""
    model: str | None
    """The class it could not build (pydantic names it; dacite does not)."""
    fields: list[str]
    """The fields it names, each with what went wrong (`currency: Field required`)."""
    frames: list[Frame] = field(default_factory=list)
    target: str | None = None
    invocation_id: str | None = None
    input: bool = False
    """The SDK could not parse the handler's input ("Unable to parse an input argument")."""


def parse_undecodable(raw: str) -> Undecodable | None:
    """The decoder's failure in ``raw`` (a `last_failure`, a server log record, the SDK's log), or None."""
    text = clean_text(raw)
    found = _PYDANTIC.search(text)
    if found is not None:
        fields = [f"{m['loc'].strip()}: {m['msg'].split(' [type=')[0].strip()}" for m in _PYDANTIC_FIELD.finditer(found["body"])]
        out = Undecodable("pydantic ValidationError", found.group(2), [f for f in fields if not f.startswith("For further")])
    else:
        missing, wrong = _DACITE.search(text), _DACITE_TYPE.search(text)
        if missing is not None:
            out = Undecodable("dacite MissingValueError", None, [f"{missing['field']}: missing value"])
        elif wrong is not None:
            out = Undecodable("dacite WrongTypeError", None, [f"{wrong['field']}: should be {wrong['want']}"])
        else:
            return None
    out.frames = traceback_frames(raw)
    target, inv = _TARGET.search(text), _ID.search(text)
    out.target = target["target"] if target else None
    out.invocation_id = inv["id"] if inv else None
    out.input = "Unable to parse an input argument" in text
    return out


@dataclass
class UndecodableExplanation:
    failure: Undecodable
    handler: HandlerShape | None = None
    op: Op | None = None
    undecided: str = ""
    diff: HandlerDiff | None = None
    cause: str = ""
    decided_cause: bool = False

    @property
    def line(self) -> str | None:
        return self.op.where() if self.op is not None else None

    def as_dict(self) -> dict[str, object]:
        f = self.failure
        return {
            "kind": "undecodable", "error": f.error, "model": f.model, "fields": f.fields,
            "service": self.handler.service if self.handler else None, "handler": self.handler.handler if self.handler else None,
            "invocation_id": f.invocation_id, "line": self.line, "code": self.op.text if self.op else None,
            "undecided": self.undecided or None, "cause": self.cause, "cause_decided": self.decided_cause,
            "diff_verdict": self.diff.verdict.value if self.diff else None,
        }


def explain_undecodable(failure: Undecodable, shapes: Shapes, old_shapes: Shapes | None = None, since: str = "",
                        target: str | None = None) -> UndecodableExplanation:
    """The line that decoded it (the innermost traceback frame that is an operation of the current
    code with a decoding class), and the cause."""
    out = UndecodableExplanation(failure)
    target = target or failure.target
    handlers = list(shapes.every())
    if target:
        service, handler = target.split("/")[0], target.split("/")[-1]
        handlers = [h for h in handlers if (h.service, h.handler) == (service, handler)] or handlers
    fits = _fits(failure, handlers)
    if len(fits) == 1:
        out.handler, out.op = fits[0]
    elif fits:
        listed = ", ".join(f"{op.where()} `{op.text}`" for _h, op in fits)
        out.undecided = f"several operations of the current code decode into that class and fit the failure: {listed}"
    else:
        model = f"`{failure.model}`" if failure.model else "the class"
        out.undecided = (f"no operation of the current code decodes into {model} at a line of the failure's traceback "
                         "(pass the service's source paths, or the failure with its traceback: the SDK's log or last_failure)")
    what = f"`{failure.model}`" if failure.model else "a dataclass"
    named = "; ".join(failure.fields)
    if out.handler is not None and old_shapes is not None:
        old = paired_with(out.handler, old_shapes, shapes)
        if old is not None:
            out.diff = compare_handlers(old, out.handler)
    diff = out.diff
    if diff is not None and ("decoded as" in diff.reason) and out.op is not None and f"`{out.op.text}`" in diff.reason:
        out.cause = (f"a code change since {since}: rea diff says {diff.verdict.value}: {diff.reason}")
        out.decided_cause = True
    elif diff is not None:
        out.cause = (f"not a class change rea diff sees since {since} (it finds {diff.verdict.value}): the journaled value "
                     f"does not fit {what} ({named}); was it written by other code, or is the deployed code not that revision?")
    else:
        out.cause = (f"the journaled value does not fit {what} as the current code declares it ({named}): a value written "
                     "before a change of that class (a field added without a default) fails at every retry; pass --since REV "
                     "(the revision that was deployed) to compare")
    return out


def _fits(failure: Undecodable, handlers: list[HandlerShape]) -> list[tuple[HandlerShape, Op]]:
    """Operations of ``handlers`` that decode into a class (the failure's, when it names one) at
    a line of the traceback (innermost first); without a traceback, every such operation."""
    decoding = [(h, op) for h in handlers for op in h.ops()
                if op.decoded is not None and (failure.model is None or op.decoded.name.rsplit(".", 1)[-1] == failure.model
                                               or _holds(op, failure.model))]
    if not failure.frames:
        return decoding
    for frame in reversed(failure.frames):
        at = [(h, op) for h, op in decoding if op.line == frame.line and _same_file(frame.path, op.path)]
        if at:
            return at
    return []


def _holds(op: Op, model: str) -> bool:
    """The class holds ``model`` in a field (a nested model failed to decode)."""
    todo = [op.decoded]
    seen = 0
    while todo and seen < 20:
        d = todo.pop()
        seen += 1
        if d is None:
            continue
        if d.name.rsplit(".", 1)[-1] == model:
            return True
        todo.extend(d.nested.values())
    return False


def _same_file(deployed: str, local: str) -> bool:
    """A traceback's path (where the code was deployed) and a path of the current code: the same
    file when one ends with the other, component by component."""
    a, b = deployed.replace("\\", "/").split("/"), local.replace("\\", "/").lstrip("./").split("/")
    n = min(len(a), len(b))
    return n > 0 and a[-n:] == b[-n:]
