"""Output formats of `rea diff`: text, json, sarif, github (the formats of `rea check`).

Each verdict that is not `compatible` (or `added`) is one finding at the handler's line in
the new revision (the old one when the handler is gone). The JSON schema is versioned
(`"schema": "rea-diff/1"`): fields are only ever added.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from rea_lint import __version__
from rea_lint.journal.compare import HandlerDiff, ProjectDiff, Verdict, ending
from rea_lint.journal.encoding import Writes
from rea_lint.journal.ops import Field, Op
from rea_lint.reporters import SARIF_SCHEMA, _gh_data, _gh_prop, _uri

__all__ = ["FORMATS", "JSON_SCHEMA_ID", "render", "summary"]

JSON_SCHEMA_ID = "rea-diff/1"

_TITLES = {
    Verdict.COMPATIBLE: "compatible",
    Verdict.BREAKING: "breaks in-flight invocations",
    Verdict.UNKNOWN: "unknown",
    Verdict.REMOVED: "removed (breaks in-flight invocations)",
    Verdict.ADDED: "added",
    Verdict.KIND_CHANGED: "handler kind changed (breaks in-flight invocations)",
}
_RULES = {
    Verdict.BREAKING: "Changes the journal of invocations in flight: they fail with 570 Journal mismatch when replayed.",
    Verdict.UNKNOWN: "rea cannot tell from source whether invocations in flight still replay.",
    Verdict.REMOVED: "A handler (or its service) is gone: invocations in flight and calls to it fail.",
    Verdict.KIND_CHANGED: "The handler's kind changed: Restate routes and stores its invocations differently.",
}


def _where(h: HandlerDiff) -> tuple[str, int]:
    s = h.new or h.old
    assert s is not None
    return s.path, s.line


def _side(op: Op | None, end: str = "returns or raises") -> str:
    return f"`{op.text}` ({op.where()})" if op is not None else f"(ends: {end})"


def _index(index: int | None) -> str:
    return str(index) if index is not None else "not known (an earlier call rea cannot see into journals an unknown number of entries)"


def message(h: HandlerDiff) -> str:
    """The whole verdict in one paragraph (github/sarif messages)."""
    parts = [f"{h.service}/{h.handler}: {_TITLES[h.verdict]}: {h.reason}."]
    if h.divergence is not None:
        d = h.divergence
        parts.append(f"Journal index {_index(d.index)}: old {_side(d.old)}, new {_side(d.new, ending(d.ended))}. Breaks {d.states()}.")
    if h.advice:
        parts.append(f"To deploy it: {h.advice}.")
    return " ".join(parts)


def text(diff: ProjectDiff, verbose: bool = False) -> str:
    out: list[str] = []
    for p in diff.problems:
        out.append(f"{p}")
    for service in diff.services():
        out.append(f"service {service}: removed (or renamed): every handler of it is gone; its handlers are listed below")
    for h in diff.handlers:
        path, line = _where(h)
        head = f"{path}:{line}: {h.service}/{h.handler}: {_TITLES[h.verdict]}"
        if h.verdict in (Verdict.COMPATIBLE, Verdict.ADDED):
            if verbose:
                out.append(head)
            continue
        out.append(f"{head}: {h.reason}")
        if h.divergence is not None:
            d = h.divergence
            out.append(f"    journal index {_index(d.index)}:")
            out.append(f"      old: {_side(d.old)}")
            out.append(f"      new: {_side(d.new, ending(d.ended))}")
            out.append(f"    breaks {d.states()}")
            if d.earlier is not None:
                out.append(f"    and may break those with fewer entries, from journal index {d.earlier[0]}")
        if h.advice:
            out.append(f"    to deploy it: {h.advice}")
    return "\n".join(out) + ("\n" if out else "")


def summary(diff: ProjectDiff) -> str:
    counts: dict[Verdict, int] = {}
    for h in diff.handlers:
        counts[h.verdict] = counts.get(h.verdict, 0) + 1
    total = len(diff.handlers)
    parts = [f"{n} {_TITLES[v].split(' (')[0]}" for v, n in sorted(counts.items(), key=lambda kv: list(Verdict).index(kv[0]))]
    lost = len(diff.not_compared)
    them, their = ("them", "their") if lost != 1 else ("it", "its")
    files = f"; {lost} file{'s' * (lost != 1)} could not be compared (a side cannot read or parse {them}: {their} handlers are unknown)" if lost else ""
    return f"{total} handler{'s' * (total != 1)} compared: {', '.join(parts) or 'none found'}{files}.\n"


def _op_json(op: Op | None) -> dict[str, Any] | None:
    if op is None:
        return None
    return {
        "command": op.command,
        "kind": op.kind.value,
        "label": op.label(),
        "text": op.text,
        "path": op.path,
        "line": op.line,
        "column": op.col + 1,
        "via": list(op.via),
        "fields": {k: _field_json(f) for k, f in op.fields.items()},
    }


def _field_json(f: Field) -> Any:
    """A literal as itself; a computed value as its expression, and for a whole model or dataclass
    the class it is written with and the keys that class writes (`journal.encoding`)."""
    if f.is_literal:
        if isinstance(f.literal, tuple):  # (a rejection's failure: `shape._failure`)
            return {"failure": {"message": f.literal[2], "code": f.literal[1]}}
        return f.literal
    if f.writes is None:
        return {"expression": f.text}
    w = f.writes
    return {"expression": f.text, "written_as": {"class": w.name, "where": w.where, "keys": list(w.keys), "may_be_none": not w.always,
                                                  "serde": w.through or None, "holds": _holds(w)}}


def _holds(w: Writes, depth: int = 0) -> dict[str, Any]:
    """Field -> the class whose keys it is written with: `always` for a required model field,
    else it may hold none (`list[Item]`, `Address | None`)."""
    if depth > 4:
        return {}
    return {name: {"class": inner.name, "where": inner.where, "keys": list(inner.keys), "always": always, "holds": _holds(inner, depth + 1)}
            for fields, always in ((w.nested, True), (w.held, False)) for name, inner in fields}


def as_json(diff: ProjectDiff, base: str = "", head: str = "") -> str:
    handlers = []
    for h in diff.handlers:
        entry: dict[str, Any] = {
            "service": h.service,
            "handler": h.handler,
            "verdict": h.verdict.value,
            "reason": h.reason,
            "old": {"path": h.old.path, "line": h.old.line, "kind": h.old.kind, "service_kind": h.old.service_kind} if h.old else None,
            "new": {"path": h.new.path, "line": h.new.line, "kind": h.new.kind, "service_kind": h.new.service_kind} if h.new else None,
            "divergence": None,
            "advice": h.advice or None,
        }
        if h.divergence is not None:
            d = h.divergence
            entry["divergence"] = {
                "index": d.index,
                "old": _op_json(d.old),
                "new": _op_json(d.new),
                "reason": d.reason,
                "breaks": d.states(),
                "suspended_at": _op_json(d.suspended_at),
                "assuming": list(d.assuming),
                "undecodable": d.undecodable,
                "may_break_earlier": {"index": d.earlier[0], "reason": d.earlier[1]} if d.earlier is not None else None,
            }
        handlers.append(entry)
    counts: dict[str, int] = {}
    for h in diff.handlers:
        counts[h.verdict.value] = counts.get(h.verdict.value, 0) + 1
    doc = {
        "schema": JSON_SCHEMA_ID,
        "version": __version__,
        "base": base,
        "head": head,
        "handlers": handlers,
        "services_removed": sorted(diff.services()),
        "problems": list(diff.problems),
        "not_compared": list(diff.not_compared),
        "summary": {"handlers": len(diff.handlers), **counts},
    }
    return json.dumps(doc, indent=2) + "\n"


def _findings(diff: ProjectDiff) -> list[HandlerDiff]:
    return [h for h in diff.handlers if h.verdict not in (Verdict.COMPATIBLE, Verdict.ADDED)]


def as_sarif(diff: ProjectDiff, base: str = "", head: str = "") -> str:
    from pathlib import Path

    ids = [v for v in _RULES]
    results = []
    for h in _findings(diff):
        path, line = _where(h)
        results.append(
            {
                "ruleId": h.verdict.value,
                "ruleIndex": ids.index(h.verdict),
                "level": "note" if h.verdict is Verdict.UNKNOWN else "error",
                "message": {"text": message(h)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": line},
                        }
                    }
                ],
            }
        )
    run = {
        "tool": {
            "driver": {
                "name": "rea diff",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [
                    {"id": v.value, "name": v.value, "shortDescription": {"text": _RULES[v]},
                     "properties": {"tags": ["restate", "durable-execution", "replay"]}}
                    for v in ids
                ],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
        "invocations": [{"executionSuccessful": not diff.not_compared, "toolExecutionNotifications": [
            {"level": "warning", "message": {"text": p}} for p in diff.problems]}],
        "properties": {"base": base, "head": head},
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def github(diff: ProjectDiff, base: str = "", head: str = "") -> str:
    out = []
    for p in diff.problems:
        out.append(f"::warning title=rea diff::{_gh_data(p)}")
    for h in _findings(diff):
        path, line = _where(h)
        kind = "notice" if h.verdict is Verdict.UNKNOWN else "error"
        title = _gh_prop(f"rea diff: {h.service}/{h.handler} {_TITLES[h.verdict]}")
        out.append(f"::{kind} file={_gh_prop(path)},line={line},title={title}::{_gh_data(message(h))}")
    return "\n".join(out) + ("\n" if out else "")


FORMATS: dict[str, Callable[..., str]] = {
    "text": lambda diff, base="", head="", verbose=False: text(diff, verbose),
    "json": as_json,
    "sarif": as_sarif,
    "github": github,
}


def render(fmt: str, diff: ProjectDiff, base: str = "", head: str = "", verbose: bool = False) -> str:
    if fmt == "text":
        return text(diff, verbose)
    return FORMATS[fmt](diff, base, head)
