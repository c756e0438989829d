"""Syntax errors that are newer syntax than the Python rea runs on.

rea reads code with the `ast` of the interpreter it is installed on, so a valid module
written for a newer Python (`class Box[T]:` is Python 3.12) does not parse. Its message
says which newer syntax the line holds and how to check the file, rather than leaving the
user to wonder what is invalid about valid code.
"""

from __future__ import annotations

import re
import sys

__all__ = ["explain_syntax_error"]

_NEWER: tuple[tuple[tuple[int, int], re.Pattern[str], str], ...] = (
    ((3, 11), re.compile(r"\s*except\s*\*"), "`except*`"),
    ((3, 12), re.compile(r"\s*(?:async\s+)?def\s+\w+\s*\[|\s*class\s+\w+\s*\["), "a type parameter list"),
    ((3, 12), re.compile(r"\s*type\s+\w+\s*(?:\[[^=]*\])?\s*="), "a `type` statement"),
    ((3, 14), re.compile(r"\s*except\s+[\w.]+(?:\s*,\s*[\w.]+)+\s*:"), "`except` with unparenthesized exception types"),
)
"""(the first Python that accepts it, what the line must match, what it is called)."""

_TEMPLATE_PREFIX = re.compile(r"(?:^|[^\w.])(?:[tT][rR]?|[rR][tT])$")
"""What ends just before a template string's quote (`t"..."`, Python 3.14)."""


def explain_syntax_error(err: SyntaxError, running: tuple[int, ...] = tuple(sys.version_info[:2])) -> str:
    """The parser's message, naming the newer Python the line is written for when it holds
    syntax that came after the ``running`` one."""
    text, version, what = err.text or "", None, ""
    for since, pattern, name in _NEWER:
        if running < since and pattern.match(text):
            version, what = since, name
            break
    offset = (err.offset or 0) - 1
    if version is None and running < (3, 14) and 0 < offset < len(text) and text[offset] in "\"'" \
            and _TEMPLATE_PREFIX.search(text[:offset]):
        version, what = (3, 14), "a template string"
    here = "%d.%d" % running[:2]
    if version is not None:
        newer = "%d.%d" % version
        return (f"{err.msg} (this is Python {newer} syntax, {what}: rea parses with the Python it "
                f"runs on, {here}; check this file with rea installed on Python {newer} or later)")
    if running < (3, 12) and err.msg.startswith("f-string"):
        return (f"{err.msg} (if the file is written for Python 3.12 or later, whose f-strings may "
                f"nest their own quotes, check it with rea installed on that Python: rea parses with the one it "
                f"runs on, {here})")
    return err.msg
