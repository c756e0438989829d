"""`# noqa` comments: how `rea check` reads them, as flake8 does, and how `--add-noqa` writes them.

Reading: a `# noqa` (bare, or naming codes or their prefixes) silences the findings of every
line of the tokens that end on its line, as flake8 has it: a statement continued with a
backslash, a string written over several lines (a triple-quoted f-string whose first line
calls `time.time()`, the comment after its closing quotes), not only its own line's; and a
line starting with `# flake8: noqa` exempts the whole file. So one comment means the same to
`flake8` in pre-commit and to `rea check` in CI.

Writing, like ruff's `--add-noqa`: the codes an existing `# noqa: ...` already names are kept
(the new ones are appended), a bare `# noqa` is left alone (it silences everything already), and
a second run changes nothing. A comment goes where the tokens of the finding's line end (after
a string written over several lines or a backslash continuation): where it can end a line, and
where flake8 reads it. A text `tokenize` cannot read is named, never edited blindly.
"""

from __future__ import annotations

import ast
import bisect
import re
import tokenize
from typing import Iterable, Iterator, Sequence

from rea_lint.source_lines import source_lines

__all__ = ["NoqaLines", "add_noqa", "noqa_codes"]

_NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
"""flake8's own pattern (`flake8.defaults.NOQA_INLINE_REGEXP`), as both reading and writing use
it, quirks included: `#noqa` (no space) is no `# noqa`, and a `# noqa:` followed by no code
flake8 can read (`# noqa:REA`, `# noqa:  REA101`) is a bare one. A code it names is compared as
written (`# noqa: rea101` does not silence REA101), the way flake8 compares it."""
_SPLIT_CODES = re.compile(r"[,\s]+")
_NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
"""flake8's `NOQA_FILE`: a line that starts with it exempts the whole file (one that only ends
with it, after code, does not: flake8 warns and checks the file)."""


def noqa_codes(text: str) -> list[str] | None:
    """None: no `# noqa` in ``text``; []: a bare one (everything); else the codes (prefixes) it names."""
    m = _NOQA.search(text)
    if m is None:
        return None
    codes = m.group("codes")
    return [c for c in _SPLIT_CODES.split(codes) if c] if codes else []


class NoqaLines:
    """Which `# noqa` applies to a line of a module, as flake8 reads it
    (`FileProcessor._noqa_line_mapping`): the line with the others of the tokens it shares, up
    to the end of the line where they end.

    flake8 tokenizes the whole file for that; Python's `tokenize` costs more than twice the
    parse, so here only the statement around an asked line is tokenized, and only where it
    spans lines (the tree says which): every other line is read alone, as flake8 would read it."""

    __slots__ = ("_lines", "_tree", "_text", "whole_file")

    def __init__(self, source: str, tree: ast.Module) -> None:
        self._lines = lines = source_lines(source, keepends=True)
        self._tree = tree
        self._text: dict[int, str] = {}
        """Line -> the text its `# noqa` is searched in, once asked."""
        self.whole_file = any(_NOQA_FILE.match(text) for text in lines)
        """A `# flake8: noqa` line: flake8 checks nothing in the file, and neither does rea."""

    def codes(self, line: int) -> list[str] | None:
        """`noqa_codes` of what applies to ``line`` (None: nothing silences it)."""
        if self.whole_file:
            return []
        text = self._text.get(line)
        if text is None:
            self._read(line)
            text = self._text[line]
        return noqa_codes(text) if "noqa" in text.lower() else None

    def silences(self, code: str, line: int) -> bool:
        """Does a `# noqa` silence ``code`` reported on ``line``?"""
        codes = self.codes(line)
        return codes is not None and (not codes or any(code.startswith(c) for c in codes))

    def _read(self, line: int) -> None:
        """Note what ``line``'s `# noqa` is read from (and, where the statement around it had to
        be tokenized, that of every line of the statement)."""
        lines, text = self._lines, self._text
        if not 0 < line <= len(lines):
            text[line] = ""
            return
        first, last = _statement_lines(self._tree.body, line)
        window = lines[first - 1:last]
        if first < last and any("noqa" in part.lower() for part in window):  # (else: nothing to tokenize)
            try:
                for start, end, _ in _token_runs(window):
                    joined = "".join(window[start - 1:end])
                    for n in range(first + start - 1, first + end):
                        text.setdefault(n, joined)
            except (tokenize.TokenError, SyntaxError):
                pass
        text.setdefault(line, lines[line - 1])  # (a line the tokens did not reach is read alone)


def _token_runs(lines: Sequence[str]) -> Iterator[tuple[int, int, int]]:
    """(first, last, end) of each run of lines that tokens share (flake8's noqa ranges): a run
    ends with the line break token on line ``end`` (``last``, but for a final line without a
    break). `tokenize` gets each line ending in `\n` whatever break it ends with: it takes a
    bare `\r` for an error token, not a line's end (flake8 reads lines with universal newlines,
    which turn every break into `\n`). Raises what `tokenize` raises."""
    first, last = len(lines) + 2, -1
    for tok in tokenize.generate_tokens(iter([_lf(text) for text in lines]).__next__):
        kind = tok.type
        if kind == tokenize.ENDMARKER or kind == tokenize.DEDENT:
            continue
        first, last = min(first, tok.start[0]), max(last, tok.end[0])
        if kind == tokenize.NL or kind == tokenize.NEWLINE:
            yield first, last, tok.start[0]
            first, last = len(lines) + 2, -1


def _lf(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2] + "\n"
    if text.endswith("\r"):
        return text[:-1] + "\n"
    return text


_BLOCKS = ("body", "orelse", "finalbody")


def _statement_lines(body: list[ast.stmt], line: int) -> tuple[int, int]:
    """The lines a `# noqa` for ``line`` may come from: those of the simple statement on it
    (with the statements sharing its lines, `a = 1; b = 2`), or of the header of the compound
    statement it is in; (line, line) where it is in none."""
    while body:
        i = bisect.bisect_right(body, line, key=_first_line) - 1
        if i < 0 or body[i].end_lineno < line:  # type: ignore[operator]
            return line, line  # a blank or comment line, a decorator's
        stmt = body[i]
        inner = None
        for block in _child_blocks(stmt):
            if block and block[0].lineno <= line <= block[-1].end_lineno:  # type: ignore[operator]
                inner = block
                break
        if inner is not None and inner[0].lineno > stmt.lineno:
            body = inner
            continue
        if inner is not None or not any(_child_blocks(stmt)):
            j = k = i
            while j > 0 and body[j - 1].end_lineno >= body[j].lineno:  # type: ignore[operator]
                j -= 1
            while k + 1 < len(body) and body[k + 1].lineno <= body[k].end_lineno:  # type: ignore[operator]
                k += 1
            return body[j].lineno, body[k].end_lineno  # type: ignore[return-value]
        # the header of a compound statement: up to the line before its first block's
        head_end = min(block[0].lineno for block in _child_blocks(stmt) if block) - 1
        return (stmt.lineno, head_end) if stmt.lineno <= line <= head_end else (line, line)
    return line, line


def _first_line(stmt: ast.stmt) -> int:
    return stmt.lineno


def _child_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists of a compound statement (handlers' and cases' bodies included)."""
    blocks = [getattr(stmt, name) for name in _BLOCKS if getattr(stmt, name, None)]
    blocks.extend(h.body for h in getattr(stmt, "handlers", ()) if h.body)
    blocks.extend(c.body for c in getattr(stmt, "cases", ()) if c.body)
    return blocks


def _comment_lines(source: str) -> dict[int, int] | None:
    """Line -> the line its `# noqa` goes on: the last of the lines its tokens share, where a
    comment can end and flake8 (`NoqaLines` too) reads it, so a finding inside a string written
    over several lines, or on a line continued with a backslash, gets its comment after the
    string or the continuation; None if the text does not tokenize."""
    out: dict[int, int] = {}
    try:
        for first, last, end in _token_runs(source_lines(source, keepends=True)):
            for line in range(first, last + 1):
                out[line] = end
    except (tokenize.TokenError, SyntaxError):
        return None
    return out


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
    targets = _comment_lines(source)
    lines = source_lines(source, keepends=True)
    refused = []
    by_target: dict[int, list[str]] = {}
    for line, codes in sorted(wanted.items()):
        target = targets.get(line) if targets is not None else None
        if target is None or not 0 < target <= len(lines):
            refused.append(line)
            continue
        merged = by_target.setdefault(target, [])
        merged.extend(code for code in codes if code not in merged)
    changed = 0
    for target, codes in by_target.items():
        raw = lines[target - 1]
        body = raw.rstrip("\r\n")
        ending = raw[len(body):]
        new = _with_codes(body, codes)
        if new != body:
            lines[target - 1] = new + ending
            changed += 1
    return "".join(lines), changed, refused


def _with_codes(body: str, codes: Sequence[str]) -> str:
    m = _NOQA.search(body)
    if m is None:
        return f"{body.rstrip()}  # noqa: {', '.join(codes)}"
    existing = m.group("codes")
    if existing is None:
        return body  # a bare `# noqa` already silences every code
    have = [c for c in _SPLIT_CODES.split(existing) if c]
    missing = [c for c in codes if not c.startswith(tuple(have))]
    if not missing:
        return body
    end = m.start("codes") + len(existing.rstrip(", \t"))  # (flake8's codes take the separators after them)
    return body[: m.start("codes")] + ", ".join([*have, *missing]) + body[end:]
