"""Emitting findings: the catalog's text, the rule's ErrorCode, and only when it is safe.

mypy type-checks some expressions speculatively (overload items, union math, fallback
contexts) under an error filter and uses "did an error appear?" to pick the result. A finding
reported there would change mypy's own judgement, so while a discarding filter is active
nothing is reported; the unfiltered check of the same expression reports it. Duplicates
(an expression checked twice) are removed by mypy, which drops identical messages.
"""

from __future__ import annotations

from mypy.nodes import Context
from mypy.plugin import CheckerPluginInterface

from rea_lint.catalog import RULES
from rea_lint.config import ReaConfig

from mypy_plugin.codes import CODES, INTERNAL

__all__ = ["Reporter", "speculative", "subject_text"]

BUG_URL = "https://github.com/restate-rea/rea/issues"


def speculative(api: CheckerPluginInterface) -> bool:
    """True while mypy is checking under a filter that throws errors away."""
    for watcher in getattr(api.msg.errors, "_watchers", ()):
        flt = getattr(watcher, "_filter", False)
        saved = getattr(watcher, "_filtered", None)
        if flt is not False and saved is None:
            return True
        if callable(flt):
            return True
    return False


class Reporter:
    def __init__(self, config: ReaConfig) -> None:
        self.config = config
        self.enabled = frozenset(c for c in CODES if config.is_enabled(c))
        self.internal_reported = False

    def report(self, api: CheckerPluginInterface, code: str, node: Context, subject: str, ctx: str = "ctx") -> None:
        if code not in self.enabled or speculative(api):
            return
        api.fail(RULES[code].render(subject=subject, ctx=ctx), node, code=CODES[code])

    def internal(self, api: CheckerPluginInterface, node: Context, exc: BaseException) -> None:
        """One note per run for a plugin bug: the user's mypy run goes on."""
        if self.internal_reported:
            return
        self.internal_reported = True
        where = f"{type(exc).__name__}: {exc}"[:300]
        try:
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
    from mypy.nodes import CallExpr, IndexExpr, MemberExpr, NameExpr, StrExpr

    def render(n: object, depth: int = 0) -> str:
        if depth > 6:
            return "..."
        if isinstance(n, NameExpr):
            return n.name
        if isinstance(n, MemberExpr):
            return f"{render(n.expr, depth + 1)}.{n.name}"
        if isinstance(n, CallExpr):
            inner = "..." if n.args else ""
            return f"{render(n.callee, depth + 1)}({inner})"
        if isinstance(n, IndexExpr):
            return f"{render(n.base, depth + 1)}[{render(n.index, depth + 1)}]"
        if isinstance(n, StrExpr):
            return repr(n.value)
        return "..."

    text = render(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."
