"""Read a 570 journal mismatch out of whatever text the user pasted.

The same error reaches users in several wrappers (all observed on restate-server 1.7.12 with
restate-sdk 1.3.0, see docs/explain.md): the admin API's `sys_invocation.last_failure`, the
server's log (ANSI colours, indentation, `restate.invocation.target: ...`), its JSON log
(escaped newlines), the SDK's own log (`VMException: (570) ...` plus a Python traceback) and
the `restate` CLI's `invocations describe` table (`Error:` / `Caused by:` rows). Underneath
there are three bodies, written by the SDK's shared core:

- a field mismatch: ``- The mismatch happened while executing 'run' (index '1')`` followed by
  ``- Difference:`` and lines ``name: <recorded> != <attempted>``;
- a type mismatch: ``The previous execution ran and recorded the following: 'run' (index '17')``
  and ``The current execution attempts to perform the following: 'call'``;
- an await that cannot be replayed: ``'await' could not be replayed`` and the notifications.

The index is the protocol's *command* index: 0 is the handler's input, 1 its first journaled
operation (notifications such as completions do not count; `sys_journal.index` does count them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

__all__ = ["KNOWN_KINDS", "Difference", "Mismatch", "MessageError", "NoOperation", "canonical_kind", "mismatch_at", "parse_message",
           "parse_messages"]


class MessageError(ValueError):
    """The text holds no journal mismatch rea can read; the message says what was expected."""


class NoOperation(MessageError):
    """The text is a journal mismatch but names no operation and index (it was cut, or only its
    first line was kept): the admin API's `last_failure_related_command_*` columns may."""


@dataclass(frozen=True)
class Difference:
    field: str
    recorded: str
    attempted: str


@dataclass(frozen=True)
class Frame:
    path: str
    line: int
    function: str


@dataclass
class Mismatch:
    """What a 570 says: where in the journal, what was recorded, what the code attempted."""

    kind: str
    """`fields` (same operation, different fields), `type` (a different operation), `await`, or
    `related` (the text names no operation: the admin API's columns placed it, `mismatch_at`)."""
    command_index: int | None = None
    recorded: str | None = None
    """Canonical operation kind recorded in the journal (`run`, `call`, `set_state`, ...)."""
    attempted: str | None = None
    differences: list[Difference] = field(default_factory=list)
    service: str | None = None
    key: str | None = None
    handler: str | None = None
    invocation_id: str | None = None
    attempted_name: str | None = None
    """The name the current code gave the operation (a run's name), when the text says it."""
    recorded_name: str | None = None
    frames: list[Frame] = field(default_factory=list)
    """Python traceback frames in the text (the SDK's log), innermost last."""
    notifications: list[str] = field(default_factory=list)
    """`await` mismatches: what the replayed await was waiting for."""
    text: str = ""
    """The mismatch body, cleaned (for display)."""
    inferred_target: bool = False
    """The text named no handler; the target is the only handler whose code fits."""
    unusable_target: str | None = None
    """A `restate.invocation.target` in the text that is no `Service/handler` or
    `Object/key/handler` (`JustAName`): not taken as the target, and said so."""
    truncated: str = ""
    """What the text lacks when it was cut short after its index (empty: it is whole)."""
    unprinted: bool = False
    """The text ends at `- Difference:` with no line after it: what restate-sdk 1.3's shared core
    prints when only a field it does not print differs (observed: a state command's entry name)."""

    @property
    def unknown_operations(self) -> list[str]:
        """The operations the text names that rea does not know (a newer SDK's or server's)."""
        return list(dict.fromkeys(k for k in (self.recorded, self.attempted) if k is not None and k not in KNOWN_KINDS))

    @property
    def target(self) -> str | None:
        if not (self.service and self.handler):
            return None
        return f"{self.service}/{self.key}/{self.handler}" if self.key is not None else f"{self.service}/{self.handler}"


# The SDK's display names (shared core `CommandType` Display), the server's `entry_type` /
# `related_command_type` names (`Command: Run`, `SetState`) -> one vocabulary.
_KINDS = {
    "handler input": "input", "input": "input",
    "handler return": "output", "output": "output",
    "get state": "get_state", "getstate": "get_state", "getlazystate": "get_state", "geteagerstate": "get_state",
    "get state keys": "state_keys", "getstatekeys": "state_keys", "getlazystatekeys": "state_keys",
    "geteagerstatekeys": "state_keys",
    "set state": "set_state", "setstate": "set_state",
    "clear state": "clear_state", "clearstate": "clear_state",
    "clear all state": "clear_all_state", "clearallstate": "clear_all_state",
    "get promise": "get_promise", "getpromise": "get_promise",
    "peek promise": "peek_promise", "peekpromise": "peek_promise",
    "complete promise": "complete_promise", "completepromise": "complete_promise",
    "sleep": "sleep",
    "call": "call",
    "one way call/send": "send", "onewaycall": "send",
    "send signal": "send_signal", "sendsignal": "send_signal",
    "run": "run",
    "attach invocation": "attach_invocation", "attachinvocation": "attach_invocation",
    "get invocation output": "get_invocation_output", "getinvocationoutput": "get_invocation_output",
    "complete awakeable": "complete_awakeable", "completeawakeable": "complete_awakeable",
    "cancel invocation": "cancel_invocation", "cancelinvocation": "cancel_invocation",
}


KNOWN_KINDS = frozenset(_KINDS.values())
"""Every operation rea knows; `canonical_kind` of another name is that name, compacted."""


def canonical_kind(name: str | None) -> str | None:
    """`'one way call/send'`, `'Command: OneWayCall'`, `'OneWayCallCommand'` -> `send`."""
    if not name:
        return None
    text = name.strip().strip("'\"")
    if ":" in text and text.split(":", 1)[0].strip().lower() in ("command", "notification"):
        text = text.split(":", 1)[1]
    low = text.strip().lower()
    if low in _KINDS:
        return _KINDS[low]
    compact = re.sub(r"[^a-z/]", "", low)
    if compact.endswith("command") and compact not in _KINDS:
        compact = compact[: -len("command")]
    return _KINDS.get(compact, compact or None)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_MARK = re.compile(r"Found a mismatch between the code paths|journal mismatch|\(570\)|\[570\b|RT0016"
                   r"|previous execution ran and recorded|mismatch happened while executing", re.I)
_FIELD_HEAD = re.compile(r"mismatch happened while executing '(?P<ty>[^']+)' \(index '(?P<idx>-?\d+)'\)")
_TYPE_RECORDED = re.compile(r"previous execution ran and recorded the following: '(?P<ty>[^']+)' \(index '(?P<idx>-?\d+)'\)")
_TYPE_ATTEMPTED = re.compile(r"current execution attempts to perform the following: '(?P<ty>[^']+)'")
_AWAIT = re.compile(r"'await' could not be replayed")
_DIFF_LINE = re.compile(r"^\s*[│|]?\s*(?P<field>[a-z_]+): (?P<rec>.*?) != (?P<att>.*?)\.?\s*[│|]?\s*$")
_TARGET = re.compile(r"restate\.invocation\.target[\"']?[ \t]*[:=][ \t]*[\"']?(?P<t>[^\s\"']*)")
_SERVICE = re.compile(r"[A-Za-z0-9_.\-]+")
_INV_ID = re.compile(r"\binv_[0-9A-Za-z]{20,}\b")
_ORIGIN = re.compile(r'originated after executing Command: (?P<ty>\w+)(?:\(named "(?P<name>[^"]*)"\))?\[command index (?P<idx>\d+)\]')
_RELATED = re.compile(r"Related command: (?P<ty>[a-z /]+?) \[(?P<x>[^\]]*)\]")
"""The SDK log's last line: `Related command: set state [1]` (index) or `run [charge-card]` (name)."""
_CAUSED_BY = re.compile(r"Caused by:\s*[│|]?\s*(?P<ty>[A-Za-z]+)(?: \[(?P<name>[^\]]*)\])?")
_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<fn>[\w<>.]+)')


def _clean(text: str) -> str:
    """ANSI colours off; JSON strings unescaped (a JSON log line holds the message escaped)."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    decoded: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                decoded.extend(_strings(json.loads(stripped)))
                continue
            except (ValueError, RecursionError):  # (not JSON, or nested deeper than Python recurses: read as text)
                pass
        decoded.append(line)
    text = "\n".join(decoded)
    if "\\n" in text and text.count("\n") < 3:  # a message pasted with its escapes
        text = text.replace("\\n", "\n").replace('\\"', '"').replace("\\'", "'")
    return text


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        out: list[str] = []
        for k, v in value.items():
            for s in _strings(v):
                out.append(f"{k}: {s}" if k.startswith("restate.") else s)
        return out
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def parse_message(raw: str) -> Mismatch:
    """The (first) mismatch in ``raw``; `MessageError` if there is none (or it is unreadable)."""
    return parse_messages(raw)[0]


def parse_messages(raw: str) -> list[Mismatch]:
    """Every different mismatch in ``raw``, in order; `MessageError` if there is none.

    A log holds a record per retry of an invocation, and the SDK's log and the server's print
    the same mismatch twice: those are one (`_same`), its context (target, invocation id) taken
    from whichever record has it. Each record is read alone (`_records`), so one record's
    target or differences are never another's."""
    text = _clean(raw)
    if not text.strip():
        raise MessageError("empty input: paste the 570 error text (or use --invocation-id with --admin-url)")
    if not _MARK.search(text):
        raise MessageError(
            "no journal mismatch in the input: expected the text of a [570 Journal mismatch] error "
            "(\"Found a mismatch between the code paths ...\")"
            + (" (the input holds NUL bytes: if it is UTF-16 or UTF-32 without a byte-order mark, convert it to "
               "UTF-8 first, e.g. `iconv -f UTF-16LE -t UTF-8 FILE`)" if "\0" in text else "")
        )
    out: list[Mismatch] = []
    for record in _records(text):
        mismatch = _parse(record)
        same = next((m for m in out if _same(m, mismatch)), None)
        if same is None:
            out.append(mismatch)
        else:
            for name in ("service", "key", "handler", "invocation_id", "attempted_name", "unusable_target"):
                if getattr(same, name) is None:
                    setattr(same, name, getattr(mismatch, name))
    return out


_HEADS = (_FIELD_HEAD, _TYPE_RECORDED, _AWAIT)
_RECORD = re.compile(r"\[570 Journal mismatch\]|\(570\)|Detected journal mismatch|Found a mismatch between the code paths"
                     r"|Exception in Restate handler|Traceback \(most recent call last\)", re.I)
"""The first line of a record, as the server, the SDK and the CLI print one (the SDK's traceback
comes before its message)."""


def _records(text: str) -> list[str]:
    """``text`` cut into one piece per mismatch body: each piece runs from the line where its
    record starts (the first `_RECORD` after the previous body's head) to the next piece."""
    heads = sorted((m for pattern in _HEADS for m in pattern.finditer(text)), key=lambda m: m.start())
    starts = [0]
    for before, head in zip(heads, heads[1:]):
        mark = _RECORD.search(text, before.end(), head.start())
        at = mark.start() if mark else head.start()
        starts.append(max(text.rfind("\n", 0, at) + 1, before.end()))
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _same(a: Mismatch, b: Mismatch) -> bool:
    """The same mismatch, as two records print it (one may lack the target or the id)."""
    if (a.kind, a.command_index, a.recorded, a.attempted, a.differences, a.notifications) != (
            b.kind, b.command_index, b.recorded, b.attempted, b.differences, b.notifications):
        return False
    return all(x is None or y is None or x == y
               for x, y in ((a.target, b.target), (a.invocation_id, b.invocation_id)))


_NOTHING_PRINTED = re.compile(r"\.?\s*(?:$|>|restate\.)")
"""What follows an empty `- Difference:`: the end (the admin API's text), or `.` and the server
log's `> This error originated after ...` line or its fields."""


def _parse(text: str) -> Mismatch:
    """The mismatch of one record (`NoOperation` if it names none)."""
    head = _FIELD_HEAD.search(text)
    rec = _TYPE_RECORDED.search(text)
    if head:
        mismatch = Mismatch("fields", int(head["idx"]), canonical_kind(head["ty"]), canonical_kind(head["ty"]))
        mismatch.differences = _differences(text[head.end():])
        if not mismatch.differences:
            rest = text[head.end():]
            if "Difference:" not in rest:
                mismatch.truncated = "the message ends before its `- Difference:` lines (what differs between the two)"
            elif _NOTHING_PRINTED.match(rest, rest.index("Difference:") + len("Difference:")):
                mismatch.unprinted = True  # (nothing, or the server log's next line: the whole message)
            else:
                mismatch.truncated = "the message stops after `- Difference:`, before any line `field: recorded != attempted`"
        body_start = head.start()
    elif rec:
        att = _TYPE_ATTEMPTED.search(text)
        mismatch = Mismatch("type", int(rec["idx"]), canonical_kind(rec["ty"]), canonical_kind(att["ty"]) if att else None)
        if att is None:
            mismatch.truncated = ("the message ends before `The current execution attempts to perform the following: "
                                  "'<op>'` (what the code attempted)")
        body_start = rec.start()
    elif _AWAIT.search(text):
        mismatch = Mismatch("await")
        body_start = _AWAIT.search(text).start()  # type: ignore[union-attr]
        mismatch.notifications = [m.group(1).strip() for m in re.finditer(r"^\s*- (.+)$", text[body_start:], re.M)]
    else:
        raise NoOperation(
            "the input mentions a journal mismatch but not which operation: expected \"executing '<op>' "
            "(index 'N')\" or \"recorded the following: '<op>' (index 'N')\" (paste the whole message)"
        )
    if mismatch.command_index is not None and mismatch.command_index < 0:
        raise MessageError(f"the message names journal index {mismatch.command_index}, but journal indexes count up from "
                           "0 (the handler's input): was the text edited? paste it as the server printed it")
    _context(text, mismatch)
    first = _MARK.search(text)
    mismatch.text = text[min(body_start, first.start() if first else body_start):].strip()
    return mismatch


def mismatch_at(raw: str, index: int, attempted: str | None, attempted_name: str | None) -> Mismatch:
    """A mismatch whose text names no operation (`NoOperation`), placed where the server's
    columns say it failed: the command at ``index`` that the current code attempted, of type
    ``attempted`` (`Run`) and name ``attempted_name``. What the journal recorded there is not said."""
    text = _clean(raw)
    mismatch = Mismatch("related", index, None, canonical_kind(attempted))
    _context(text, mismatch)
    mismatch.attempted_name = attempted_name or mismatch.attempted_name
    mismatch.text = text.strip()
    return mismatch


def _differences(tail: str) -> list[Difference]:
    out: list[Difference] = []
    lines = tail.splitlines()
    started = False
    for line in lines:
        if "Difference:" in line:
            started = True
            continue
        if not started:
            continue
        m = _DIFF_LINE.match(line)
        if not m:
            if out:
                break
            continue
        out.append(Difference(m["field"], _unquote(m["rec"]), _unquote(m["att"])))
    return out


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def _context(text: str, mismatch: Mismatch) -> None:
    """Target, invocation id, the attempted name and traceback frames, when the wrapper has them."""
    target = _TARGET.search(text)
    if target:
        parts = target["t"].split("/")
        if len(parts) >= 2 and _SERVICE.fullmatch(parts[0]) and parts[-1]:
            _set_target(mismatch, target["t"])
        else:
            mismatch.unusable_target = target["t"]
    ids = _INV_ID.findall(text)
    if ids:
        mismatch.invocation_id = ids[0]
    m = _ORIGIN.search(text)
    if m:
        mismatch.attempted_name = m["name"] or mismatch.attempted_name
        if mismatch.command_index is None:
            mismatch.command_index = int(m["idx"])
    m = _RELATED.search(text)
    if m and m["x"]:
        if m["x"].isdigit():
            if mismatch.command_index is None:
                mismatch.command_index = int(m["x"])
        else:
            mismatch.attempted_name = m["x"]
    caused = _CAUSED_BY.search(text)
    if caused and caused["name"] and not caused["name"].isdigit() and mismatch.attempted_name is None:
        mismatch.attempted_name = caused["name"]
    if mismatch.kind == "fields":
        for diff in mismatch.differences:
            if diff.field == "name":
                mismatch.recorded_name, mismatch.attempted_name = diff.recorded, diff.attempted
    mismatch.frames = [Frame(m["path"], int(m["line"]), m["fn"]) for m in _FRAME.finditer(text)]


def clean_text(raw: str) -> str:
    """An error's text as printed: ANSI colours off, a JSON log line's escaped string decoded."""
    return _clean(raw)


def traceback_frames(raw: str) -> list[Frame]:
    """The Python traceback frames in an error's text (any wrapping: ANSI colours, a JSON log line),
    innermost last."""
    return [Frame(m["path"], int(m["line"]), m["fn"]) for m in _FRAME.finditer(_clean(raw))]


def _set_target(mismatch: Mismatch, target: str) -> None:
    """Service and handler names hold no `/`; a virtual object's key may (`Cart/a/b/add`: key `a/b`)."""
    parts = target.split("/")
    mismatch.service, mismatch.handler = parts[0], parts[-1]
    mismatch.key = "/".join(parts[1:-1]) if len(parts) > 2 else None


def set_target(mismatch: Mismatch, target: str) -> None:
    """`Service/handler` or `Object/key/handler` (the server's `target` format)."""
    _set_target(mismatch, target)
