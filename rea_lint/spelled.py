"""Whether a function's text spells a word: a cheap stand-in for walking its tree.

Most functions rea could walk are never worth it: nothing they say can matter to the
question asked. Their source text, sliced by the tree's line numbers, tells that far more
cheaply than their nodes do, wherever the text can be trusted to say it (see `Spelled`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AbstractSet, Sequence

from rea_lint.source_lines import has_str_only_breaks

if TYPE_CHECKING:
    from rea_lint.model import Function

__all__ = ["Spelled"]


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_DIGITS = frozenset("0123456789")


def _spells(text: str, word: str) -> bool:
    """Whether ASCII ``text`` spells ``word`` as an identifier: as one of its runs of identifier
    characters, less the digits the run starts with (`1if` spells `if`, `0x1f` spells `x1f`,
    `timeout` does not spell `time`). Only the places the word occurs are looked at: most
    words asked occur once or not at all, where listing every identifier of a long function
    cost more than the rest of the question."""
    if not word.isidentifier():  # (a dotted or empty word is no identifier)
        return False
    size, end_of_text = len(word), len(text)
    at = text.find(word)
    while at >= 0:
        end = at + size
        if end == end_of_text or text[end] not in _WORD_CHARS:
            before = at - 1
            while before >= 0 and text[before] in _DIGITS:
                before -= 1
            if before < 0 or text[before] not in _WORD_CHARS:
                return True
        at = text.find(word, at + 1)
    return False


_UNREAD: str = object()  # type: ignore[assignment]


class Spelled:
    """Whether a function's body lines spell one of some words: the names and attribute
    names in its own nodes (`Model.function_nodes`) are among the identifiers its text spells,
    read from the text far more cheaply than its tree is walked (most helpers handler code
    reaches are walked by no one else). None where the text cannot tell: a line that is not
    ASCII (Python folds other identifiers to their NFKC form), lines that may be numbered
    unlike the tree, or no lines at all.

    One is made per module and asked by the passes that may leave helpers unwalked (the
    model's builder, the flake8 path's same-module chains), each with its own words: a
    function's text is read once (`source` says which text it reads, so that a pass can tell
    it may share it)."""

    __slots__ = ("lines", "ascii", "source", "_texts")

    def __init__(self, lines: Sequence[str] | None, text: str | None = None) -> None:
        self.source = text if text is not None else lines
        self.ascii = False
        """All the text is ASCII: no function's text need be tested for it."""
        if lines is not None:
            if text is None:  # (the source itself, or its lines joined, serves as well)
                text = "".join(lines)
            self.ascii = text.isascii()
            if has_str_only_breaks(text, self.ascii):  # a list of lines may be numbered unlike the tree
                lines = None
        self.lines = lines
        self._texts: dict[int, str | None] = {}
        """id(def node) -> its body's text (None: the text cannot tell)."""

    @classmethod
    def of(cls, lines: Sequence[str] | None, text: str | None) -> "Spelled":
        """One that reads this source (its lines split from ``text`` when only the text is given)."""
        if lines is None and text is not None:
            lines = text.splitlines(True)
        return cls(lines, text)

    def reads(self, lines: Sequence[str] | None, text: str | None) -> bool:
        """Was this made from the same source (the very object) as ``lines``/``text`` give?"""
        return self.source is not None and self.source is (text if text is not None else lines)

    def any_of(self, fn: Function, words: AbstractSet[str]) -> bool | None:
        if self.lines is None:
            return None
        key = id(fn.node)
        text = self._texts.get(key, _UNREAD)
        if text is _UNREAD:
            text = self._texts[key] = self._text(fn)
        if text is None:
            return None
        for word in words:  # a word spelled nowhere, not even inside another, is no identifier
            if word in text and _spells(text, word):
                return True
        return False  # (most helpers: a few substring searches)

    def _text(self, fn: Function) -> str | None:
        lines = self.lines
        node = fn.node
        end = node.end_lineno
        first = node.body[0]  # the body only: the `def` line names the function itself
        start = first.lineno
        for decorator in getattr(first, "decorator_list", ()):
            start = min(start, decorator.lineno)
        if end is None or end > len(lines):  # type: ignore[arg-type]
            return None
        text = "".join(lines[start - 1 : end])  # type: ignore[index]
        if not self.ascii and not text.isascii():
            return None
        return text
