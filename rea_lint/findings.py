"""A diagnostic: where, which rule, what it says. Shared by the flake8 plugin and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["Finding", "char_col"]


@dataclass(frozen=True, order=True)
class Finding:
    line: int
    col: int
    code: str
    message: str = field(compare=False)
    """The full text, code first: `REA101 time-in-handler: ...` (from the catalog)."""
    end_line: int | None = field(default=None, compare=False)
    end_col: int | None = field(default=None, compare=False)
    data: Any = field(default=None, compare=False, repr=False)
    """Rule-specific facts an autofix needs (the call node, the context name ...)."""


def char_col(lines: Sequence[str] | None, line: int, col: int) -> int:
    """`ast` columns are UTF-8 byte offsets; users (and editors) count characters.

    Only a non-ASCII line needs the conversion, so ASCII code pays one `isascii` per finding."""
    text = lines[line - 1] if lines is not None and 0 < line <= len(lines) else ""
    if text.isascii():
        return col
    return len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
