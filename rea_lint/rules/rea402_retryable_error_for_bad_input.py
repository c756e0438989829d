"""REA402 retryable-error-for-bad-input: a built-in bad-input exception raised in handler code.

Restate retries every exception that is not a `TerminalError`, so `raise ValueError(...)` for
a bad request is retried until the retry policy gives up. Reported, in handler code outside
run actions: a `raise` of one of the built-in classes below (bare or `builtins.`, class or
instance) that guards something (it sits under an `if`/`match`), and an `assert` whose test
reads a parameter of its function (the input). Silent where it is not a bad-input signal or
may not escape as written: an unconditional raise (a deliberate failure, a stub), a raise in
an `except` clause that chains the caught error (`raise ValueError(...) from e`: translation),
a raise inside a `try` that catches it, and a raise in a helper (not a decorated handler)
that this module calls from inside a `try` that catches it.
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
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        found: list[tuple[ast.stmt, Function, str, str]] = []
        for stmts, fn in model.handler_segments(ast.Raise):
            for stmt in stmts:
                exc = stmt.exc
                if exc is None:
                    continue  # a bare `raise` re-raises what was caught
                cls = exc.func if isinstance(exc, ast.Call) else exc
                if not isinstance(cls, (ast.Name, ast.Attribute)):
                    continue
                # (`raise E(...)`: its call's target, which the shared call index has qualified)
                qual = model.call_target(exc, fn) if cls is not exc else model.qualify(cls, fn)  # type: ignore[arg-type]
                if qual in BAD_INPUT:
                    found.append((stmt, fn, qual.rsplit(".", 1)[-1], f"raise {source_text(exc)}"))
        for stmts, fn in model.handler_segments(ast.Assert):  # type: ignore[assignment]
            for stmt in stmts:
                inputs = fn.params - set(fn.contexts) - {"self", "cls"}
                if any(isinstance(n, ast.Name) and n.id in inputs for n in ast.walk(stmt.test)):  # type: ignore[attr-defined]
                    found.append((stmt, fn, "AssertionError", f"assert {source_text(stmt.test)}"))  # type: ignore[attr-defined]
        if not found:
            return
        blocks = _Blocks(model, {id(fn) for _s, fn, _c, _t in found})
        for stmt, fn, name, subject in found:  # type: ignore[assignment]
            if isinstance(stmt, ast.Raise):
                if not blocks.guarded(stmt, fn) or (stmt.cause is not None and blocks.in_except(stmt, fn)):
                    continue
            if blocks.caught(stmt, name):
                continue
            root = fn.root
            if (root.handler is None or root.handler.decorator is None) and blocks.caller_catches(model, root, name):
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
        _HEADER + "    try:\n        await ctx.run_typed('charge', charge, order=order)\n"
        "    except restate.TerminalError as e:\n        raise ValueError('wrapped') from e\n",
        _HEADER + "    total = await ctx.run_typed('total', compute, order=order)\n    assert total is not None\n",
    )


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _within(node: ast.AST, body: list[ast.stmt]) -> bool:
    """Is ``node`` inside this statement list (by source position)?"""
    if not body:
        return False
    start = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    return _span(body[0])[0] <= start < _span(body[-1])[1]


def _catchers(model: Model, handlers: list[ast.ExceptHandler], fn: Function) -> set[str]:
    """The built-in exception names these `except` clauses catch (bare: `BaseException`)."""
    names: set[str] = set()
    for handler in handlers:
        if handler.type is None:
            names.add("BaseException")
            continue
        for t in handler.type.elts if isinstance(handler.type, ast.Tuple) else (handler.type,):
            qual = model.qualify(t, fn) if isinstance(t, (ast.Name, ast.Attribute)) else None
            if qual and qual.startswith("builtins."):
                names.add(qual[len("builtins."):])
    return names


class _Blocks:
    """Where a raise sits in its function: under an `if`/`match`, in an `except`, in a `try`."""

    def __init__(self, model: Model, functions: set[int]) -> None:
        self.guards: dict[int, list[list[ast.stmt]]] = {}
        self.excepts: dict[int, list[list[ast.stmt]]] = {}
        self.tries: list[tuple[list[ast.stmt], set[str], Function]] = []
        for fn_nodes, fn in model.handler_segments(ast.If, *_MATCH):
            for node in fn_nodes:
                if id(fn) in functions:
                    bodies = [node.body, node.orelse] if isinstance(node, ast.If) else [c.body for c in node.cases]
                    self.guards.setdefault(id(fn), []).extend(bodies)
        for fn_nodes, fn in model.handler_segments(ast.Try, *_TRY_STAR):  # type: ignore[assignment]
            for node in fn_nodes:
                names = _catchers(model, node.handlers, fn)  # type: ignore[attr-defined]
                if names:
                    self.tries.append((node.body, names, fn))
                if id(fn) in functions:
                    self.excepts.setdefault(id(fn), []).extend(h.body for h in node.handlers)  # type: ignore[attr-defined]
        self._catching: dict[str, list[ast.Call]] | None = None

    def guarded(self, node: ast.AST, fn: Function) -> bool:
        return any(_within(node, body) for body in self.guards.get(id(fn), ()))

    def in_except(self, node: ast.AST, fn: Function) -> bool:
        return any(_within(node, body) for body in self.excepts.get(id(fn), ()))

    def caught(self, node: ast.AST, name: str) -> bool:
        wanted = _CATCHERS[name]
        return any(not names.isdisjoint(wanted) and _within(node, body) for body, names, _fn in self.tries)

    def caller_catches(self, model: Model, helper: Function, name: str) -> bool:
        """Does this module call ``helper`` (by name) from inside a `try` that catches ``name``?"""
        wanted = _CATCHERS[name]
        for body, names, _fn in self.tries:
            if names.isdisjoint(wanted):
                continue
            for stmt in body:
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Call):
                        func = node.func
                        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                        if called == helper.name:
                            return True
        return False


_MATCH: tuple[type, ...] = (ast.Match,) if hasattr(ast, "Match") else ()
_TRY_STAR: tuple[type, ...] = (ast.TryStar,) if hasattr(ast, "TryStar") else ()
