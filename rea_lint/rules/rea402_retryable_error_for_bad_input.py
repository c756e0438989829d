"""REA402 retryable-error-for-bad-input: a built-in bad-input exception raised in handler code.

Restate retries every exception that is not a `TerminalError`, so `raise ValueError(...)` for
a bad request is retried until the retry policy gives up. Reported: `raise` of one of the
built-in classes below (bare or `builtins.`, class or instance) and `assert` statements, in
handler code outside run actions. Silent where the raise cannot escape as written: inside a
`try` whose handlers catch it (the handler may turn it into a `TerminalError`).
"""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, Model, source_text
from rea_lint.rules.base import Checker

BAD_INPUT = frozenset(
    f"builtins.{name}" for name in ("ValueError", "TypeError", "KeyError", "IndexError", "LookupError", "AssertionError")
)
# What catches each of them (an `except` naming one of these around the raise).
_CATCHERS = {
    "ValueError": {"ValueError", "Exception", "BaseException"},
    "TypeError": {"TypeError", "Exception", "BaseException"},
    "KeyError": {"KeyError", "LookupError", "Exception", "BaseException"},
    "IndexError": {"IndexError", "LookupError", "Exception", "BaseException"},
    "LookupError": {"LookupError", "Exception", "BaseException"},
    "AssertionError": {"AssertionError", "Exception", "BaseException"},
}
_HEADER = "import restate\nsvc = restate.Service('orders')\n@svc.handler()\nasync def place(ctx: restate.Context, order: dict):\n"


class RetryableErrorForBadInput(Checker):
    code = "REA402"

    def check(self, model: Model) -> Iterator[Finding]:
        found: list[tuple[ast.stmt, Function, str, str]] = []
        for stmt, fn in model.handler_nodes(ast.Raise):
            exc = stmt.exc
            if exc is None:
                continue  # a bare `raise` re-raises what was caught
            cls = exc.func if isinstance(exc, ast.Call) else exc
            if not isinstance(cls, (ast.Name, ast.Attribute)):
                continue
            qual = model.qualify(cls, fn)
            if qual in BAD_INPUT:
                found.append((stmt, fn, qual.rsplit(".", 1)[-1], f"raise {source_text(exc)}"))
        for stmt, fn in model.handler_nodes(ast.Assert):
            found.append((stmt, fn, "AssertionError", f"assert {source_text(stmt.test)}"))
        if not found:
            return
        caught = _caught_raises(model, {id(fn) for _s, fn, _c, _t in found})
        for stmt, fn, name, subject in found:
            if any(name_ in _CATCHERS[name] for name_ in caught.get(id(stmt), ())):
                continue
            yield self.report(stmt, subject=subject, ctx=fn.context_name())

    invalid = (
        _HEADER + "    if order['qty'] <= 0:\n        raise ValueError('qty must be positive')\n",
        _HEADER + "    if 'sku' not in order:\n        raise KeyError\n",
        _HEADER + "    assert order['qty'] > 0, 'qty must be positive'\n",
    )
    valid = (
        _HEADER + "    if order['qty'] <= 0:\n        raise restate.TerminalError('qty must be positive', status_code=400)\n",
        _HEADER + "    try:\n        await ctx.run_typed('charge', charge, order=order)\n"
        "    except ValueError:\n        raise\n",
        _HEADER + "    try:\n        if order['qty'] <= 0:\n            raise ValueError('qty')\n"
        "    except ValueError as e:\n        raise restate.TerminalError(str(e), status_code=400)\n",
        _HEADER + "    def check():\n        raise ValueError('inside a run action')\n    await ctx.run_typed('check', check)\n",
    )


def _caught_raises(model: Model, functions: set[int]) -> dict[int, set[str]]:
    """id(raise/assert) -> the exception names the `try` statements around it catch, for the
    `try`s of these functions (a bare `except:` catches as `BaseException`)."""
    out: dict[int, set[str]] = {}
    for stmt, fn in model.handler_nodes(ast.Try, *_TRY_STAR):
        if id(fn) not in functions:
            continue
        names: set[str] = set()
        for handler in stmt.handlers:
            if handler.type is None:
                names.add("BaseException")
                continue
            for t in handler.type.elts if isinstance(handler.type, ast.Tuple) else (handler.type,):
                qual = model.qualify(t, fn) if isinstance(t, (ast.Name, ast.Attribute)) else None
                if qual and qual.startswith("builtins."):
                    names.add(qual[len("builtins."):])
        if not names:
            continue
        for inner in stmt.body:
            for node in ast.walk(inner):
                if isinstance(node, (ast.Raise, ast.Assert)):
                    out.setdefault(id(node), set()).update(names)
    return out


_TRY_STAR: tuple[type, ...] = (ast.TryStar,) if hasattr(ast, "TryStar") else ()
