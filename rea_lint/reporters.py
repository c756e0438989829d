"""Output formats of `rea check`: full and concise text, json, sarif, github.

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
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote

from rea_lint import __version__
from rea_lint.catalog import RULES, Fix, Severity
from rea_lint.runner import Diagnostic, FileResult

__all__ = ["FORMATS", "render", "statistics", "JSON_SCHEMA_ID", "HOMEPAGE", "doc_url", "Style"]

JSON_SCHEMA_ID = "rea-check/1"
HOMEPAGE = "https://github.com/restate-rea/rea"
"""Where the project lives (pyproject.toml's `[project.urls]` says the same)."""
DOCS_BASE = f"{HOMEPAGE}/blob/main/docs/rules"


def doc_url(code: str) -> str:
    """The rule's published docs page (`docs/rules/REA101.md` in the repository)."""
    return f"{DOCS_BASE}/{code}.md"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _diagnostics(results: Sequence[FileResult]) -> list[Diagnostic]:
    return [d for r in results for d in r.diagnostics]


# --- text: concise and full -----------------------------------------------------------------------


class Style:
    """ANSI styling for the text formats; every method is the identity when color is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def severity(self, severity: str, text: str) -> str:
        return self._wrap("1;33" if severity == Severity.WARNING.value else "1;31", text)

    def fixable(self, text: str) -> str:
        return self._wrap("1;36", text)


PLAIN = Style(False)


def _fix_mark(d: Diagnostic) -> str:
    return " [*]" if d.fix == Fix.SAFE.value else " [*unsafe]" if d.fix == Fix.UNSAFE.value else ""


def _split_message(d: Diagnostic) -> tuple[str, str]:
    """`REA101 time-in-handler: text` -> ("REA101 time-in-handler", "text")."""
    head, sep, rest = d.message.partition(": ")
    return (head, rest) if sep else (d.code, d.message)


def concise(results: Sequence[FileResult], style: Style = PLAIN) -> str:
    """One line per finding: `path:line:col: REA101 name: message`, flake8's shape. A warning
    says so (`path:line:col: warning: REA109 ...`): an unlabelled line is an error."""
    out = []
    for r in results:
        if r.error:
            out.append(f"{style.bold(r.path)}:{r.error_line}:{r.error_col + 1}: {style.severity('error', 'error')}: {r.error}")
        for d in r.diagnostics:
            head, rest = _split_message(d)
            label = style.severity(d.severity, "warning") + ": " if d.severity == Severity.WARNING.value else ""
            code, _, name = head.partition(" ")
            head = f"{style.severity(d.severity, code)} {name}".rstrip()
            out.append(f"{style.bold(d.path)}:{d.line}:{d.col + 1}: {label}{head}: {rest}{style.fixable(_fix_mark(d))}")
    return "\n".join(out) + ("\n" if out else "")


text = concise  # `--format text` is the concise format (the name older configurations use)


def _source_lines(path: str, sources: Mapping[str, str]) -> list[str]:
    from rea_lint.source_lines import source_lines

    if path in sources:
        return source_lines(sources[path])
    try:
        from rea_lint.runner import decode

        return source_lines(decode(Path(path).read_bytes()))
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return []


def full(results: Sequence[FileResult], style: Style = PLAIN, sources: Mapping[str, str] | None = None) -> str:
    """ruff's "full" format: the severity and message, the location, the source line and a
    caret under the finding (one block per finding)."""
    sources = sources or {}
    blocks = []
    for r in results:
        lines = _source_lines(r.path, sources) if (r.diagnostics or r.error) else []
        if r.error:
            blocks.append(
                f"{style.severity('error', 'error')}: {style.bold(r.error)}\n {style.dim('-->')} {r.path}:{r.error_line}:{r.error_col + 1}\n"
            )
        for d in r.diagnostics:
            head, rest = _split_message(d)
            sev = style.severity(d.severity, f"{d.severity}[{d.code}]")
            name = head.partition(" ")[2]
            block = [f"{sev}{style.fixable(_fix_mark(d))} {style.bold(name + ': ' + rest if name else rest)}"]
            gutter = len(str(d.line))
            block.append(f"{' ' * gutter}{style.dim('-->')} {d.path}:{d.line}:{d.col + 1}")
            if 0 < d.line <= len(lines):
                src = lines[d.line - 1].expandtabs(1)
                end = d.end_col if d.end_line == d.line and d.end_col > d.col else len(src.rstrip()) if d.end_line != d.line else d.col + 1
                width = max(1, min(end, len(src)) - d.col) if d.col < len(src) else 1
                bar = style.dim("|")
                block.append(f"{' ' * gutter} {bar}")
                block.append(f"{style.dim(str(d.line))} {bar} {src}")
                block.append(f"{' ' * gutter} {bar} {' ' * d.col}{style.severity(d.severity, '^' * width)}")
                block.append(f"{' ' * gutter} {bar}")
            blocks.append("\n".join(block) + "\n")
    return "\n".join(blocks)


# --- json ----------------------------------------------------------------------------------------


def _json_finding(d: Diagnostic) -> dict[str, Any]:
    rule = RULES[d.code]
    fix = None
    if d.fix != Fix.NONE.value:
        edits: list[dict[str, Any]] = []
        fix = {"applicability": d.fix, "note": rule.fix_note, "edits": edits}
        if d.edit:
            e = d.edit
            edits.append(
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
        "helpUri": doc_url(rule.code),
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
                "informationUri": HOMEPAGE,
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
    "full": full,
    "concise": concise,
    "text": concise,
    "json": as_json,
    "sarif": as_sarif,
    "github": github,
}


def render(fmt: str, results: Sequence[FileResult], style: Style = PLAIN, sources: Mapping[str, str] | None = None) -> str:
    if fmt == "full":
        return full(results, style, sources)
    if fmt in ("concise", "text"):
        return concise(results, style)
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
