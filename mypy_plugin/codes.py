"""One mypy ErrorCode per rea rule, named from the catalog (`rea-time-in-handler`).

Creating an ErrorCode registers it with mypy, which is what makes
`# type: ignore[rea-time-in-handler]` and `disable_error_code` accept the name.
"""

from __future__ import annotations

from mypy.errorcodes import ErrorCode

from rea_lint.catalog import RULES

__all__ = ["CODES", "INTERNAL", "IMPLEMENTED"]

IMPLEMENTED: frozenset[str] = frozenset(
    {
        "REA101", "REA102", "REA103", "REA105", "REA112", "REA106", "REA108", "REA109", "REA110",
        "REA201", "REA202", "REA203", "REA204", "REA208", "REA210", "REA301", "REA302",
    }
)
"""The catalog rules this plugin enforces; the others belong to the linter or the runtime."""

CODES: dict[str, ErrorCode] = {
    code: ErrorCode(RULES[code].mypy_code, RULES[code].summary, "rea") for code in sorted(IMPLEMENTED)
}

INTERNAL = ErrorCode("rea-internal", "The rea plugin hit a bug; mypy's own checks still ran", "rea")
