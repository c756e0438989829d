"""REA208 action-called-not-passed: a run's action is a call's result, not a callable.

`ctx.run("trigger", trigger_task(name))` calls `trigger_task` in handler code, outside the
journal, and hands the run what it returned. Reported when the action argument of a context's
`run`/`run_typed`, of `rea_runtime.run`/`run_typed`, or of a `rea_runtime.Saga`'s
`step`/`run` is a call to a function of this module that is `async` (the run gets a
coroutine object), a generator, or none of whose `return`s can be a callable. Silent on a
callee rea cannot resolve, on `functools.partial(...)`, on classes, and on factories (a
return of a lambda, nested def, partial, name, attribute or unknown call).
"""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, Model, call_argument, children, source_text
from rea_lint.rules.base import Checker, memo, method_calls, qualified_calls, saga_names

RUNTIME_RUNS = frozenset({"rea_runtime.run", "rea_runtime.run_typed", "rea_runtime.run.run", "rea_runtime.run.run_typed"})
# Builtins whose result is data, never a callable.
_DATA_BUILTINS = frozenset(
    f"builtins.{n}"
    for n in ("str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset", "len", "sum", "min",
              "max", "sorted", "repr", "format", "abs", "round", "any", "all", "isinstance", "print", "open", "range")
)
_DEPTH = 3
_HEADER = "import restate\nsvc = restate.Service('jobs')\n"
_HANDLER = "@svc.handler()\nasync def start(ctx: restate.Context, name: str):\n"


class ActionCalledNotPassed(Checker):
    code = "REA208"
    needs = "functions"  # it reads defs and run calls only (made in defs)

    def check(self, model: Model) -> Iterator[Finding]:
        for action, fn in action_arguments(model):
            if not isinstance(action, ast.Call):
                continue
            callee = resolve_local_function(model, action.func, fn)
            if callee is not None and returns_no_callable(model, callee):
                yield self.report(action, subject=source_text(action), ctx=fn.context_name())

    invalid = (
        _HEADER + "async def trigger_task(name):\n    ...\n" + _HANDLER + "    await ctx.run('trigger', trigger_task(name))\n",
        _HEADER + "def charge(name):\n    return {'charged': name}\n" + _HANDLER + "    await ctx.run_typed('charge', charge(name))\n",
        _HEADER + "import requests\ndef notify(name):\n    requests.post('https://example.com', json=name)\n"
        + _HANDLER + "    await ctx.run('notify', action=notify(name))\n",
    )
    valid = (
        _HEADER + "async def trigger_task(name):\n    ...\n" + _HANDLER + "    await ctx.run_typed('trigger', trigger_task, name=name)\n",
        _HEADER + "def make_action(name):\n    def action():\n        return name\n    return action\n"
        + _HANDLER + "    await ctx.run('trigger', make_action(name))\n",
        _HEADER + "import functools\ndef work(name):\n    return name\n" + _HANDLER
        + "    await ctx.run('work', functools.partial(work, name))\n",
        _HEADER + "from tasks import build\n" + _HANDLER + "    await ctx.run('work', build(name))\n",
        # a `**mapping` is no action argument, even where the helper's action has no keyword
        _HEADER + "from rea_runtime import run\ndef options(name):\n    return {'action': lambda: name}\n" + _HANDLER
        + "    await run(ctx, 'greet', **options(name))\n",
    )


def action_arguments(model: Model) -> list[tuple[ast.expr, Function]]:
    """The action argument of every run in handler code, with the function it is in (once:
    the model's run calls include rea_runtime's helpers and saga steps too). Computed once
    per model: this rule and both transitive analyses ask."""
    cache = memo(model)
    found: list[tuple[ast.expr, Function]] | None = cache.get("action-arguments")
    if found is None:
        found = cache["action-arguments"] = []
        seen: set[int] = set()
        for action, fn in _action_arguments(model):
            if id(action) not in seen:
                seen.add(id(action))
                found.append((action, fn))
    return found


def _action_arguments(model: Model) -> Iterator[tuple[ast.expr, Function]]:
    for rc in model.run_calls:
        if rc.action is not None and rc.function.is_handler_code:
            yield rc.action, rc.function
    sagas: dict[int, set[str]] | None = None
    resolved, by_qual = qualified_calls(model, model.handler_nodes)
    for i in sorted(i for qual in RUNTIME_RUNS for i in by_qual.get(qual, ())):  # in order
        call, fn, _qual = resolved[i]
        action = call_argument(call, 2, "action")
        if action is not None:
            yield action, fn
    for call, fn in method_calls(model, model.handler_nodes, ("step", "run")):
        receiver = call.func.value  # type: ignore[attr-defined]
        if not isinstance(receiver, ast.Name):
            continue
        if sagas is None:
            sagas = saga_names(model)
        if receiver.id in sagas.get(id(fn.root), ()):
            action = call_argument(call, 1, "action")
            if action is not None:
                yield action, fn


def resolve_local_function(model: Model, func: ast.expr, fn: Function) -> Function | None:
    """The `def` of this module a called name denotes (a nested def in scope, or a
    module-level one not shadowed by a local); None for anything else."""
    if not isinstance(func, ast.Name):
        return None
    scope: Function | None = fn
    while scope is not None:
        child = scope.children.get(func.id)
        if child is not None:
            return child
        if func.id in scope.local_names:
            return None
        scope = scope.parent
    if func.id in model.imports.names:
        return None
    return model.module_functions.get(func.id)


def returns_no_callable(model: Model, fn: Function, depth: int = 0) -> bool:
    """Is calling ``fn`` sure to give something that is not callable? An `async def` gives a
    coroutine and a generator function a generator; otherwise every `return` must be data.
    (The answer from the top, depth 0, is kept per model: the rule and the summary ask.)"""
    if fn.is_async:
        return True
    if depth == 0:
        cache = memo(model).setdefault("no-callable", {})
        found = cache.get(id(fn))
        if found is None:
            found = cache[id(fn)] = _returns_no_callable(model, fn, 0)
        return found
    return _returns_no_callable(model, fn, depth)


def _returns_no_callable(model: Model, fn: Function, depth: int) -> bool:
    own = model.function_nodes(fn)
    if own.get(ast.Yield) or own.get(ast.YieldFrom):
        return True
    for ret in own.get(ast.Return, ()):
        value = ret.value  # type: ignore[attr-defined]
        if value is not None and not _is_data(model, value, fn, depth):
            return False
    return True


def _is_data(model: Model, value: ast.expr, fn: Function, depth: int) -> bool:
    """Is ``value`` (returned by ``fn``) surely not a callable?"""
    if isinstance(value, (ast.Constant, ast.JoinedStr, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.ListComp,
                          ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)):
        return True
    if isinstance(value, ast.IfExp):
        return _is_data(model, value.body, fn, depth) and _is_data(model, value.orelse, fn, depth)
    if isinstance(value, ast.Name):
        return _local_data(model, value.id, fn, depth)
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            callee = resolve_local_function(model, func, fn)
            if callee is not None:
                return depth < _DEPTH and returns_no_callable(model, callee, depth + 1)
            return model.qualify(func, fn) in _DATA_BUILTINS
        if isinstance(func, ast.Attribute):
            qual = model.qualify(func, fn)
            if qual is not None and qual.startswith("functools."):
                return False  # partial, wraps, ...
            head = func.value
            while isinstance(head, ast.Attribute):
                head = head.value
            if isinstance(head, ast.Name) and head.id in model.module_names and head.id not in model.module_values:
                return False  # `Cls.method(...)`, `Cls.factory(...)`: a class of this module, not followed
            return True  # a method's or a library function's result (`requests.post(...)`, `resp.json()`)
    return False  # lambdas, attributes (bound methods), subscripts, ...: may be callable


def _local_data(model: Model, name: str, fn: Function, depth: int) -> bool:
    """A local variable of ``fn`` that every assignment binds to data."""
    if name not in fn.local_names or name in fn.params or name in fn.children:
        return False
    cache = memo(model)
    stored = _names(cache, "stored", fn)
    if stored is None:
        own = model.function_nodes(fn)
        stored = _remember(cache, "stored", fn, {n.id for n in own.get(ast.Name, ()) if not isinstance(n.ctx, ast.Load)})  # type: ignore[attr-defined]
    if name not in stored:
        return False
    own = model.function_nodes(fn)
    assigns = _assignments(cache, fn, own)
    for value in assigns.get(name, ()):
        if value is None or not _is_data(model, value, fn, depth):
            return False  # bound to something else, or by unpacking (not followed)
    for stmt in own.get(ast.AnnAssign, ()):
        target = stmt.target  # type: ignore[attr-defined]
        if isinstance(target, ast.Name) and target.id == name:
            if stmt.value is None or not _is_data(model, stmt.value, fn, depth):  # type: ignore[attr-defined]
                return False
    # bound by `for`, `with ... as`, `except ... as`, `:=`, imports: not followed
    bound = _names(cache, "bound", fn)
    if bound is None:
        bound = set()
        walked: set[int] = set()  # a loop inside a loop is walked once, as part of the outer one
        for t in _BINDERS:
            for node in own.get(t, ()):
                if isinstance(node, ast.ExceptHandler) and node.name:
                    bound.add(node.name)
                stack = [node]
                while stack:
                    n = stack.pop()
                    if id(n) in walked:
                        continue
                    walked.add(id(n))
                    if type(n) is ast.Name:
                        if not isinstance(n.ctx, ast.Load):
                            bound.add(n.id)
                        continue
                    stack.extend(children(n))
        _remember(cache, "bound", fn, bound)
    return name not in bound


def _assignments(cache: dict, fn: Function, own: dict[type, list[ast.AST]]) -> dict[str, list[ast.expr | None]]:
    """Per name, what each of ``fn``'s plain assignments that binds it binds it to, in order;
    None where the name is only part of a target (`a, b = ...`, `d[a] = ...`). Once per
    function and model; only targets that are not a plain name are walked."""
    table = cache.get("assigns")
    if table is None:
        table = cache["assigns"] = {}
    known: dict[str, list[ast.expr | None]] | None = table.get(id(fn))
    if known is not None:
        return known
    found: dict[str, list[ast.expr | None]] = {}
    table[id(fn)] = found
    name = ast.Name
    for stmt in own.get(ast.Assign, ()):
        value = stmt.value  # type: ignore[attr-defined]
        plain: set[str] = set()
        named: set[str] = set()
        for target in stmt.targets:  # type: ignore[attr-defined]
            if type(target) is name:
                plain.add(target.id)
                continue
            stack = [target]
            while stack:
                node = stack.pop()
                if type(node) is name:
                    named.add(node.id)
                else:
                    stack.extend(children(node))
        for bound in plain:
            entries = found.get(bound)
            if entries is None:
                found[bound] = [value]
            else:
                entries.append(value)
        for bound in named - plain:
            entries = found.get(bound)
            if entries is None:
                found[bound] = [None]
            else:
                entries.append(None)
    return found


_BINDERS = (ast.For, ast.AsyncFor, ast.withitem, ast.NamedExpr, ast.ExceptHandler, ast.Import, ast.ImportFrom)
"""Nodes that bind names in ways `_local_data` does not follow (walked whole, once per function)."""


def _names(cache: dict, kind: str, fn: Function) -> set[str] | None:
    """A set of names `_local_data` derived from ``fn``'s code before (once per function and model)."""
    table = cache.get(kind)
    return table.get(id(fn)) if table is not None else None


def _remember(cache: dict, kind: str, fn: Function, names: set[str]) -> set[str]:
    cache.setdefault(kind, {})[id(fn)] = names
    return names

