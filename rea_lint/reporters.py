"""Output formats of `rea check`: text, json, sarif, github.

Each reporter turns the results of a run into one string for stdout. Columns inside rea are
0-based characters; every format here prints 1-based columns (as flake8, ruff, SARIF with
`columnKind: unicodeCodePoints` and GitHub expect). The JSON schema is versioned
(`"schema": "rea-check/1"`): fields are only ever added.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import quote

from rea_lint import __version__
from rea_lint.catalog import RULES, Fix, Severity
from rea_lint.runner import Diagnostic, FileResult

__all__ = ["FORMATS", "render", "statistics", "JSON_SCHEMA_ID"]

JSON_SCHEMA_ID = "rea-check/1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _diagnostics(results: Sequence[FileResult]) -> list[Diagnostic]:
    return [d for r in results for d in r.diagnostics]


# --- text ----------------------------------------------------------------------------------------


def text(results: Sequence[FileResult]) -> str:
    out = []
    for r in results:
        if r.error:
            out.append(f"{r.path}:{r.error_line}:{r.error_col + 1}: error: {r.error}")
        for d in r.diagnostics:
            mark = " [*]" if d.fix == Fix.SAFE.value else " [*unsafe]" if d.fix == Fix.UNSAFE.value else ""
            out.append(f"{d.path}:{d.line}:{d.col + 1}: {d.message}{mark}")
    return "\n".join(out) + ("\n" if out else "")


# --- json ----------------------------------------------------------------------------------------


def _json_finding(d: Diagnostic) -> dict[str, Any]:
    rule = RULES[d.code]
    fix = None
    if d.fix != Fix.NONE.value:
        fix = {"applicability": d.fix, "note": rule.fix_note, "edits": []}
        if d.edit:
            e = d.edit
            fix["edits"].append(
                {
                    "line": e["line"],
                    "column": e["col"] + 1,
                    "end_line": e["end_line"],
                    "end_column": e["end_col"] + 1,
                    "content": e["text"],
                }
            )
    return {
        "path": d.path,
        "line": d.line,
        "column": d.col + 1,
        "end_line": d.end_line,
        "end_column": d.end_col + 1,
        "code": d.code,
        "name": rule.name,
        "severity": d.severity,
        "message": d.message,
        "fix": fix,
    }


def as_json(results: Sequence[FileResult]) -> str:
    diags = _diagnostics(results)
    fixed: Counter[str] = Counter()
    for r in results:
        fixed.update(r.fixed)
    doc = {
        "schema": JSON_SCHEMA_ID,
        "version": __version__,
        "findings": [_json_finding(d) for d in diags],
        "errors": [
            {"path": r.path, "line": r.error_line, "column": r.error_col + 1, "message": r.error} for r in results if r.error
        ],
        "fixed": dict(sorted(fixed.items())),
        "summary": {"files": len(results), "findings": len(diags), "errors": sum(1 for r in results if r.error)},
    }
    return json.dumps(doc, indent=2) + "\n"


# --- sarif ---------------------------------------------------------------------------------------


def _uri(path: str) -> str:
    p = Path(path)
    try:
        rel = p.resolve().relative_to(Path.cwd().resolve())
        return quote(rel.as_posix())
    except ValueError:
        return p.resolve().as_uri()


def _level(severity: str) -> str:
    return "warning" if severity == Severity.WARNING.value else "error"


def _sarif_rule(code: str) -> dict[str, Any]:
    from rea_lint.docs import render as render_doc

    rule = RULES[code]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": f"Use instead: {rule.fix_hint}. {rule.why}", "markdown": render_doc(rule)},
        "defaultConfiguration": {"level": _level(rule.severity.value), "enabled": rule.enabled_by_default},
        "properties": {"tags": ["restate", "durable-execution", "replay"], "fix": rule.fix.value, "docs": rule.doc_path},
    }


def _region(line: int, col: int, end_line: int, end_col: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": col + 1, "endLine": end_line, "endColumn": end_col + 1}


def as_sarif(results: Sequence[FileResult]) -> str:
    codes = list(RULES)
    index = {c: i for i, c in enumerate(codes)}
    sarif_results = []
    for d in _diagnostics(results):
        rule = RULES[d.code]
        res: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _level(d.severity),
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path), "uriBaseId": "%SRCROOT%"},
                        "region": _region(d.line, d.col, d.end_line, d.end_col),
                    }
                }
            ],
        }
        if d.edit:
            e = d.edit
            res["fixes"] = [
                {
                    "description": {"text": f"{rule.fix_hint} ({d.fix} fix: {rule.fix_note})"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": _uri(d.path), "uriBaseId": "%SRCROOT%"},
                            "replacements": [
                                {
                                    "deletedRegion": _region(e["line"], e["col"], e["end_line"], e["end_col"]),
                                    "insertedContent": {"text": e["text"]},
                                }
                            ],
                        }
                    ],
                }
            ]
        sarif_results.append(res)
    notifications = [
        {
            "level": "error",
            "message": {"text": r.error},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(r.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": r.error_line, "startColumn": r.error_col + 1},
                    }
                }
            ],
        }
        for r in results
        if r.error
    ]
    run = {
        "tool": {
            "driver": {
                "name": "rea",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_sarif_rule(c) for c in codes],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "results": sarif_results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


# --- github --------------------------------------------------------------------------------------


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def github(results: Sequence[FileResult]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    out = []
    for r in results:
        path = _gh_prop(os.path.relpath(r.path) if not os.path.isabs(r.path) else r.path)
        if r.error:
            out.append(f"::error file={path},line={r.error_line},col={r.error_col + 1},title=rea::{_gh_data(r.error)}")
        for d in r.diagnostics:
            kind = "warning" if d.severity == Severity.WARNING.value else "error"
            title = _gh_prop(f"{d.code} {RULES[d.code].name}")
            out.append(
                f"::{kind} file={path},line={d.line},col={d.col + 1},endLine={d.end_line},"
                f"endColumn={d.end_col + 1},title={title}::{_gh_data(d.message)}"
            )
    return "\n".join(out) + ("\n" if out else "")


FORMATS: dict[str, Callable[[Sequence[FileResult]], str]] = {
    "text": text,
    "json": as_json,
    "sarif": as_sarif,
    "github": github,
}


def render(fmt: str, results: Sequence[FileResult]) -> str:
    return FORMATS[fmt](results)


def statistics(results: Sequence[FileResult]) -> str:
    """`--statistics`: how many findings per rule, most frequent first."""
    counts = Counter(d.code for d in _diagnostics(results))
    lines = []
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = RULES[code]
        mark = " [*]" if rule.fix is Fix.SAFE else " [*unsafe]" if rule.fix is Fix.UNSAFE else ""
        lines.append(f"{n:>6}  {code}  {rule.name}{mark}")
    return "\n".join(lines) + ("\n" if lines else "")
