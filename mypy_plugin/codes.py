"""One mypy ErrorCode per rea rule, named from the catalog (`rea-time-in-handler`).

Creating an ErrorCode registers it with mypy, which is what makes
`# type: ignore[rea-time-in-handler]` and `disable_error_code` accept the name. mypy checks
those names right after it loads the plugin, on every run, so the codes are registered then
(`register`), warm runs included. Their names and descriptions come from the catalog; a run
served from mypy's cache gets them from the table kept next to the config fingerprint
(`mypy_plugin.config_stamp`), which is made from the catalog and kept only while the catalog
and this module are unchanged, so it does not import the catalog.
"""

from __future__ import annotations

from typing import Any

from mypy.errorcodes import ErrorCode

__all__ = ["CODES", "INTERNAL", "IMPLEMENTED", "register", "table"]

IMPLEMENTED: frozenset[str] = frozenset(
    {
        "REA101", "REA102", "REA103", "REA105", "REA112", "REA106", "REA108", "REA109", "REA110",
        "REA201", "REA202", "REA203", "REA204", "REA208", "REA210", "REA301", "REA302",
    }
)
"""The catalog rules this plugin enforces; the others belong to the linter or the runtime."""

INTERNAL = ErrorCode("rea-internal", "The rea plugin hit a bug; mypy's own checks still ran", "rea")

_CODES: dict[str, ErrorCode] = {}


def table() -> dict[str, list[str]]:
    """{rule code: [mypy error code, description]} for the implemented rules, from the catalog."""
    from rea_lint.catalog import RULES

    return {code: [RULES[code].mypy_code, RULES[code].summary] for code in sorted(IMPLEMENTED)}


def register(names: dict[str, list[str]] | None = None) -> dict[str, ErrorCode]:
    """Create (once per process) the ErrorCodes of ``names``, a `table()` kept by an earlier run,
    or of the catalog's table when none is given."""
    if not _CODES:
        for code, (name, description) in (names if names is not None and _whole(names) else table()).items():
            _CODES[code] = ErrorCode(name, description, "rea")
    return _CODES


def _whole(names: Any) -> bool:
    """Is ``names`` a table of every implemented rule (what `table()` returns)?"""
    return (
        isinstance(names, dict)
        and names.keys() == IMPLEMENTED
        and all(isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v) for v in names.values())
    )


def __getattr__(name: str) -> Any:
    if name == "CODES":  # `from mypy_plugin.codes import CODES`: registered on first use
        return register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
