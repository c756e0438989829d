"""Where each autofix declines to rewrite, for the CLI's "cannot be fixed here" lines.

Its own module, free of libcst, so a summary that names the limits does not import the
fixer (libcst costs more to import than rea checks in a small project).
"""

from __future__ import annotations

__all__ = ["LIMITS"]

LIMITS: dict[str, str] = {
    "REA101": "only `time.time()`, `datetime.now/utcnow/today()` and `date.today()` inside an `async def` with the context in scope are rewritten",
    "REA102": "only `random.<fn>(...)` with the handler's context in scope is rewritten (not secrets, os.urandom, numpy)",
    "REA103": "only `uuid.uuid1()`/`uuid.uuid4()` with the handler's context in scope is rewritten",
    "REA104": (
        "only a set whose elements are known to be of one orderable type (literals of one type, "
        "`str(...)`/f-string elements, a parameter annotated `set[str]`, `list[int]` ...) is wrapped "
        "in `sorted(...)`: sorting mixed elements raises TypeError"
    ),
    "REA203": "only an annotation that the decorator's kind determines is rewritten",
    "REA204": (
        "only an operation inside an `async def` can be awaited (not an awakeable's unpacked pair, "
        "nor a promise handle, which would wait for the promise's value)"
    ),
    "REA209": "only a lambda or nested def whose parameters can take the loop variables as defaults is rewritten",
    "REA301": "only an `idempotency_key=` keyword that can be dropped cleanly is removed",
}
"""Where each fixer declines, for the CLI's "cannot be fixed here" line (why, not what)."""
