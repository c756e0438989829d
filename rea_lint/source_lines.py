"""A module's lines numbered as the parser numbers them.

`str.splitlines` also breaks at a form feed, a vertical tab, the information separators,
NEL and the Unicode line and paragraph separators; Python's tokenizer breaks only at `\\n`,
`\\r\\n` and `\\r`. A page break (`^L` on a line of its own, as GNU-style code and parts of
the standard library use) would make every line after it one off: a `# noqa` read from the
wrong line, a source line shown for the wrong finding. Whatever reads a finding's line from
the text goes through `source_lines`.
"""

from __future__ import annotations

import re

__all__ = ["has_str_only_breaks", "source_lines"]

_STR_ONLY_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""Characters `str.splitlines` breaks a line at and Python's tokenizer does not."""
_ASCII_STR_ONLY_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
"""The ASCII ones: in ASCII text, five single-character searches (memchr) answer what the
character class would, many times faster."""
_BREAK = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def has_str_only_breaks(text: str, ascii: bool | None = None) -> bool:
    """Does ``text`` hold a character `str.splitlines` would break at and the parser not?
    (``ascii``: whether the text is ASCII, if the caller knows.)"""
    if ascii is None:
        ascii = text.isascii()
    if ascii:
        return any(c in text for c in _ASCII_STR_ONLY_BREAKS)
    return _STR_ONLY_BREAKS.search(text) is not None


def source_lines(text: str, keepends: bool = False) -> list[str]:
    """``text.splitlines(keepends)``, broken only where the parser breaks lines: line N of the
    tree is item N - 1."""
    if not has_str_only_breaks(text):
        return text.splitlines(keepends)
    if keepends:
        return _LINE.findall(text)
    lines = _BREAK.split(text)
    if lines and not lines[-1]:
        lines.pop()  # (a final line break ends the last line; it starts none)
    return lines
