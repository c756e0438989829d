"""`rea check --add-noqa`: put `# noqa: REAxxx` on every line that has a finding.

Like ruff's `--add-noqa`: the codes an existing `# noqa: ...` already names are kept (the new
ones are appended), a bare `# noqa` is left alone (it silences everything already), and a
second run changes nothing. A comment can only go where a line ends outside a string and
without a backslash continuation; any other line is named, never edited blindly.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Iterable, Sequence

from rea_lint.source_lines import source_lines

__all__ = ["add_noqa"]

_NOQA = re.compile(r"#\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?", re.IGNORECASE)


def _comment_safe_lines(source: str) -> set[int] | None:
    """Lines whose end is a token boundary (a comment may be appended); None if untokenizable."""
    ok: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                ok.add(tok.start[0])
            elif tok.type == tokenize.ENDMARKER and tok.start[1] == 0 and not source.endswith(("\n", "\r")):
                ok.add(tok.start[0] - 1)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return ok


def add_noqa(source: str, findings: Iterable[tuple[int, str]]) -> tuple[str, int, list[int]]:
    """``source`` with `# noqa` codes added for (line, code) findings: the new text, how many
    lines changed, and the lines that could not take a comment."""
    wanted: dict[int, list[str]] = {}
    for line, code in findings:
        codes = wanted.setdefault(line, [])
        if code not in codes:
            codes.append(code)
    if not wanted:
        return source, 0, []
    safe = _comment_safe_lines(source)
    lines = source_lines(source, keepends=True)
    changed, refused = 0, []
    for line, codes in sorted(wanted.items()):
        if not 0 < line <= len(lines) or safe is None or line not in safe:
            refused.append(line)
            continue
        raw = lines[line - 1]
        body = raw.rstrip("\r\n")
        ending = raw[len(body):]
        new = _with_codes(body, codes)
        if new != body:
            lines[line - 1] = new + ending
            changed += 1
    return "".join(lines), changed, refused


def _with_codes(body: str, codes: Sequence[str]) -> str:
    m = _NOQA.search(body)
    if m is None:
        return f"{body.rstrip()}  # noqa: {', '.join(codes)}"
    existing = m.group("codes")
    if existing is None:
        return body  # a bare `# noqa` already silences every code
    have = [c for c in re.split(r"[,\s]+", existing.strip()) if c]
    missing = [c for c in codes if not any(c.upper().startswith(h.upper()) for h in have)]
    if not missing:
        return body
    return body[: m.start("codes")] + ", ".join([*have, *missing]) + body[m.end("codes"):]
