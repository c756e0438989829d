"""Emitting findings: the catalog's text, the rule's ErrorCode, and only when it is safe.

mypy type-checks some expressions speculatively (overload items, generic inference, fallback
contexts) under error watchers, and some only that way (its expression cache replays the
result). Findings are recorded past the watchers (see `unwatched`), and an expression
checked twice gives the same message twice, which mypy drops when it renders.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from mypy.errors import Errors
from mypy.nodes import Context
from mypy.plugin import CheckerPluginInterface

from rea_lint.catalog import RULES
from rea_lint.config import ReaConfig

from mypy_plugin.codes import CODES, INTERNAL

__all__ = ["Reporter", "subject_text", "unwatched"]

BUG_URL = "https://github.com/restate-rea/rea/issues"


@contextmanager
def unwatched(errors: Errors) -> Iterator[None]:
    """Hide mypy's error watchers while a finding is recorded.

    Watchers exist so that mypy can try an expression speculatively (an overload item, a
    type context) and ask "did an error appear?". A rea finding is about the source, not
    about the attempt, so it must neither sway that answer nor be thrown away with it.
    """
    watchers = getattr(errors, "_watchers", None) or []
    saved = list(watchers)
    if saved:
        watchers.clear()
    try:
        yield
    finally:
        if saved:
            watchers.extend(saved)


class Reporter:
    def __init__(self, config: ReaConfig) -> None:
        self.config = config
        self.enabled = frozenset(c for c in CODES if config.is_enabled(c))
        self.internal_reported = False

    def report(self, api: CheckerPluginInterface, code: str, node: Context, subject: str, ctx: str = "ctx") -> None:
        if code not in self.enabled:
            return
        with unwatched(api.msg.errors):
            api.fail(RULES[code].render(subject=subject, ctx=ctx), node, code=CODES[code])

    def report_at(self, api: CheckerPluginInterface, code: str, line: int, col: int, message: str) -> None:
        """A finding with its message already rendered, at a source position (the transitive chains)."""
        if code not in self.enabled:
            return
        with unwatched(api.msg.errors):
            api.fail(message, Context(line, col), code=CODES[code])

    def internal(self, api: CheckerPluginInterface, node: Context, exc: BaseException) -> None:
        """One note per run for a plugin bug: the user's mypy run goes on."""
        if self.internal_reported:
            return
        self.internal_reported = True
        where = f"{type(exc).__name__}: {exc}"[:300]
        try:
            with unwatched(api.msg.errors):
                api.msg.note(
                    f"rea: the mypy plugin hit an internal error and skipped a check ({where}); "
                    f"mypy's own checks are unaffected. Please report it with this line at {BUG_URL}",
                    node,
                    code=INTERNAL,
                )
        except Exception:  # pragma: no cover - reporting must never raise
            pass


def subject_text(node: object, limit: int = 60) -> str:
    """A short source-like rendering of an expression for `{subject}` (mypy keeps no source)."""
    from mypy.nodes import CallExpr, IndexExpr, ListExpr, MemberExpr, NameExpr, StrExpr

    def render(n: object, depth: int = 0) -> str:
        if depth > 6:
            return "..."
        if isinstance(n, NameExpr):
            return n.name
        if isinstance(n, MemberExpr):
            return f"{render(n.expr, depth + 1)}.{n.name}"
        if isinstance(n, CallExpr):
            callee = n.callee
            if (isinstance(callee, MemberExpr) and callee.name == "join" and isinstance(callee.expr, StrExpr)
                    and callee.expr.value == "" and len(n.args) == 1 and isinstance(n.args[0], ListExpr)):
                return "f'...'"  # (mypy parses an f-string into `''.join([...])`)
            inner = "..." if n.args else ""
            return f"{render(n.callee, depth + 1)}({inner})"
        if isinstance(n, IndexExpr):
            return f"{render(n.base, depth + 1)}[{render(n.index, depth + 1)}]"
        if isinstance(n, StrExpr):
            return repr(n.value)
        return "..."

    text = render(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."
