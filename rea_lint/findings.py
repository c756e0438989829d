"""A diagnostic: where, which rule, what it says. Shared by the flake8 plugin and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
