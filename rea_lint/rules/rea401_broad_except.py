"""REA401 broad-except: a broad except swallows the SDK's suspension signal or TerminalError.

Re-raising means every path through the clause ends in a `raise` (`raise X from e`
included), or the clause starts with `if is_internal_exception(e): raise`. An `except
Exception` clause that falls through into statements that always raise re-raises too: the
`TerminalError` it caught cannot end the invocation with a result.
"""

from __future__ import annotations

import ast
from typing import Iterator, Sequence

from rea_lint.findings import Finding
from rea_lint.model import Function, Model
from rea_lint.rules.base import Checker

_HEADER = "import restate\nobj = restate.VirtualObject('o')\n@obj.handler()\nasync def h(ctx: restate.ObjectContext):\n"
_TRY_NODES = tuple(t for t in (ast.Try, getattr(ast, "TryStar", None)) if t is not None)

_BARE, _BASE, _EXCEPTION = 3, 2, 1
_RAISE, _FALL, _LEAVE, _LOOP = "raise", "fall", "leave", "loop"


class BroadExcept(Checker):
    code = "REA401"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        for tries, fn in model.handler_segments(*_TRY_NODES):
            for try_ in tries:
                guarded: bool | None = None
                for handler in try_.handlers:
                    breadth = _breadth(model, handler.type, fn)
                    if not breadth or _reraises(model, handler, fn):
                        continue
                    if breadth == _EXCEPTION:
                        if _falls_into_raise(handler, try_, fn):
                            continue
                        if guarded is None:
                            guarded = _may_suspend_or_fail(model, try_.body, fn)
                        if not guarded:
                            continue
                    yield self.report(handler, subject=_subject(handler), ctx=fn.context_name())

    invalid = (
        _HEADER + "    try:\n        await ctx.service_call(f, 1)\n    except:\n        pass\n",
        _HEADER + "    try:\n        x = 1\n    except BaseException:\n        return None\n",
        _HEADER + "    try:\n        await ctx.get('k')\n    except Exception as e:\n        if e:\n            return None\n        raise\n",
    )
    valid = (
        _HEADER + "    try:\n        await ctx.service_call(f, 1)\n    except Exception:\n        log()\n        raise\n",
        _HEADER + "    try:\n        await ctx.get('k')\n    except Exception as e:\n"
        "        if restate.exceptions.is_internal_exception(e):\n            raise\n        return None\n",
        _HEADER + "    try:\n        int('x')\n    except Exception:\n        return 0\n",
        _HEADER + "    try:\n        n = int(ctx.key())\n    except Exception:\n        n = 0\n",
        _HEADER + "    try:\n        await ctx.get('k')\n    except BaseException as e:\n        raise RuntimeError() from e\n",
        _HEADER + "    try:\n        await ctx.run_typed('undo', undo)\n    except Exception:\n        pass\n"
        "    raise restate.TerminalError('failed')\n",
        _HEADER + "    if undo_first:\n        try:\n            await ctx.run_typed('undo', undo)\n"
        "        except Exception:\n            pass\n    raise restate.TerminalError('failed')\n",
    )


_NEVER_SUSPEND = frozenset({"key", "uuid", "random", "request"})
"""Context methods that answer from the invocation's own data: they neither suspend nor raise
`TerminalError`, so an `except Exception` around them swallows nothing of Restate's."""


def _may_suspend_or_fail(model: Model, body: Sequence[ast.stmt], fn: Function) -> bool:
    """Does the block perform a Restate operation that can suspend or raise `TerminalError`
    (any but `ctx.key()`, `ctx.uuid()`, `ctx.random()...`, `ctx.request()...`)?"""
    for root in body:
        for node in ast.walk(root):
            if isinstance(node, ast.Call) and model.is_restate_operation(node, fn) and not _answers_locally(node, fn):
                return True
    return False


def _answers_locally(call: ast.Call, fn: Function) -> bool:
    node: ast.expr = call
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _NEVER_SUSPEND and isinstance(func.value, ast.Name) \
                    and func.value.id in fn.contexts:
                return True
            node = func
        else:
            node = node.value
    return False


def _subject(handler: ast.ExceptHandler) -> str:
    if handler.type is None:
        return "except:"
    return f"except {ast.unparse(handler.type)}"


def _breadth(model: Model, node: ast.expr | None, fn: Function) -> int:
    if node is None:
        return _BARE
    if isinstance(node, ast.Tuple):
        return max((_breadth(model, e, fn) for e in node.elts), default=0)
    qual = model.qualify(node, fn)
    if qual == "builtins.BaseException":
        return _BASE
    if qual == "builtins.Exception":
        return _EXCEPTION
    return 0


def _reraises(model: Model, handler: ast.ExceptHandler, fn: Function) -> bool:
    body = handler.body
    if _exits(body) == {_RAISE}:
        return True
    first = body[0] if body else None
    if isinstance(first, ast.If) and isinstance(first.test, ast.Call) and _exits(first.body) == {_RAISE}:
        func = first.test.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name == "is_internal_exception"
    return False


def _falls_into_raise(handler: ast.ExceptHandler, try_: ast.Try, fn: Function) -> bool:
    """Does the clause only raise or fall through, into code that always raises
    (`except Exception: pass` then `raise TerminalError(...)`, after the `try` or, where the
    `try` ends an `if`, a `with` or another `try`'s clause, after that)? Asked only of a broad
    clause that does not re-raise itself, so the code is looked for rarely."""
    exits = _exits(handler.body)
    if _FALL not in exits or not exits <= {_FALL, _RAISE} or (try_.finalbody and _exits(try_.finalbody) != {_FALL}):
        return False
    path = _path(fn.node, try_)
    if path is None:
        return False
    inner: list[ast.stmt] | None = None
    for owner, field, block, i in reversed(path):
        left = block[i]
        if inner is not None and isinstance(left, _TRY_NODES) and left.finalbody and inner is not left.finalbody \
                and _exits(left.finalbody) != {_FALL}:
            return False  # (fell off a block of a try whose `finally` may not fall through)
        rest = block[i + 1:]
        if isinstance(owner, _TRY_NODES) and field == "body":
            rest = [*rest, *owner.orelse]  # (falling off a try's body runs its else)
        after = _exits(rest)
        if not after <= {_FALL, _RAISE}:
            return False
        if _FALL not in after:
            return True
        # it may fall off this block: on to what follows the statement that holds it, unless
        # that loops (a loop's body) or leaves (the function's)
        if not isinstance(owner, (ast.If, ast.With, ast.AsyncWith, ast.match_case, ast.ExceptHandler, *_TRY_NODES)):
            return False
        inner = block
    return False


_Step = tuple[ast.AST, str, list[ast.stmt], int]
"""(the node that holds a block, the block's field, the block, a statement's index in it)."""


def _path(function: ast.AST, target: ast.stmt) -> list[_Step] | None:
    """The blocks from ``function``'s body down to ``target``, in ``function``'s own code
    (nested defs are not entered), each with the statement's index in it; where a block
    belongs to an `except` clause or a `case`, the clause or case holds it."""
    stack: list[tuple[ast.AST, list[_Step]]] = [(function, [])]
    while stack:
        node, path = stack.pop()
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block):
                here = [*path, (node, field, block, i)]
                if stmt is target:
                    return here
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                stack.append((stmt, here))
                for clause in getattr(stmt, "handlers", ()):
                    stack.append((clause, here))
                for case in getattr(stmt, "cases", ()):
                    stack.append((case, here))
    return None


def _exits(stmts: Sequence[ast.stmt]) -> set[str]:
    """How a block can end: by raising, by falling through, by return/break/continue."""
    out = {_FALL}
    for stmt in stmts:
        if _FALL not in out:
            break
        out.discard(_FALL)
        out |= _exits_of(stmt)
    return out


def _exits_of(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Raise):
        return {_RAISE}
    if isinstance(stmt, ast.Return):
        return {_LEAVE}
    if isinstance(stmt, (ast.Break, ast.Continue)):
        return {_LOOP}
    if isinstance(stmt, ast.If):
        return _exits(stmt.body) | _exits(stmt.orelse)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return _exits(stmt.body)  # a context manager may swallow: rare enough to ignore
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        inner = _exits(stmt.body)
        out = {_FALL} | (inner - {_LOOP, _FALL}) | _exits(stmt.orelse)
        if isinstance(stmt, ast.While) and isinstance(stmt.test, ast.Constant) and stmt.test.value:
            out = (inner - {_FALL, _LOOP}) | ({_FALL} if _LOOP in inner else set())  # `while True`
        return out
    if isinstance(stmt, _TRY_NODES):
        body = _exits(stmt.body)
        if _FALL in body:
            body = (body - {_FALL}) | _exits(stmt.orelse)
        out = body | {_FALL} if not stmt.body else body
        for h in stmt.handlers:
            out |= _exits(h.body)
        final = _exits(stmt.finalbody) if stmt.finalbody else {_FALL}
        return final if _FALL not in final else out | (final - {_FALL})
    if isinstance(stmt, ast.Match):
        out = set()
        for case in stmt.cases:
            out |= _exits(case.body)
        return out | {_FALL}
    return {_FALL}
