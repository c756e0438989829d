"""REA209 late-bound-loop-variable: callables stored in a loop all see the loop's last value.

A closure reads a variable when it is called, not when it is made. Reported in handler code: a
lambda or nested def made inside a `for`/`while` loop or a list/set/dict comprehension that
reads the loop's variable without binding it (default argument or `functools.partial`), and
is stored for a later call: an argument of any `.append/.add/.insert/.extend`, a value put
into a dict or set (`d[k] = ...`, a literal), the `compensate=` of a `.step(...)`/
`.register(...)` (positional for `register(name, fn)`), a `+= [...]`, or the element of the
comprehension itself; also the action of a `ctx.run`/`ctx.run_typed` whose future is stored
that way (the SDK calls the action only when the future is awaited), unless the iteration
awaits something. A `while` loop's variables are the names assigned in its body. The
finding points at the lambda or the `def`; the fix binds the variables as default arguments.
"""

from __future__ import annotations

import ast
from typing import Iterator, Union

from rea_lint.findings import Finding
from rea_lint.model import Function, Model
from rea_lint.rules.base import Checker, method_calls

Loop = Union[ast.For, ast.AsyncFor, ast.While]
Made = Union[ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef]
STORING_METHODS = ("append", "add", "insert", "extend", "step", "register")
_HEADER = (
    "import restate\nsvc = restate.Service('subscriptions')\n@svc.handler()\n"
    "async def subscribe(ctx: restate.Context, subs: list[str]):\n    compensations = []\n"
)


class LateBoundLoopVariable(Checker):
    code = "REA209"
    needs = "functions"  # it reads defs and run calls only (made in defs)

    def check(self, model: Model) -> Iterator[Finding]:
        runs = _deferred_runs(model)
        if not model.handler_segments(ast.Lambda) and not any(
            fn.children for fn in model.functions if fn.is_handler_code
        ) and not any(type(action) is ast.Lambda for action in runs.values()):
            # no callable is made in handler code (the common case; a run's lambda action
            # is the one lambda of handler code the model does not index)
            return
        stored = list(_stored(model, runs))
        if not stored:
            return
        loops: dict[int, list[Loop]] = {}
        for fn_loops, fn in model.handler_segments(ast.For, ast.AsyncFor, ast.While):
            for loop in fn_loops:
                loops.setdefault(id(fn), []).append(loop)  # type: ignore[arg-type]
        seen: set[int] = set()
        run_actions = _run_actions(model, runs)
        for made, fn, comprehension in stored:
            if id(made) in seen:
                continue
            seen.add(id(made))
            variables: list[str] = []
            enclosing = list(_enclosing(loops.get(id(fn), ()), made))
            if id(made) in run_actions and _awaits(comprehension, enclosing):
                continue  # an await in the iteration may run the scheduled action there
            for loop in enclosing:
                variables.extend(_loop_variables(loop))
            if comprehension is not None:
                for gen in comprehension.generators:
                    variables.extend(_names(gen.target))
            if not variables:
                continue
            free = _free_reads(model, made, fn)
            late = [v for v in dict.fromkeys(variables) if v in free]
            if late:
                yield self.report(made, subject=late[0], ctx=fn.context_name(), data={"names": tuple(late)})

    invalid = (
        _HEADER + "    for sub in subs:\n        await ctx.run_typed('add', add, sub=sub)\n"
        "        compensations.append(lambda: remove(sub))\n",
        _HEADER + "    undo = {}\n    for sub in subs:\n        undo[sub] = lambda: remove(sub)\n",
        _HEADER + "    for sub in subs:\n        def compensate():\n            return remove(sub)\n"
        "        compensations.append(compensate)\n",
        _HEADER + "    compensations = [lambda: remove(sub) for sub in subs]\n",
        _HEADER + "    futs = [ctx.run('cancel', lambda: remove(sub)) for sub in subs]\n    await restate.gather(*futs)\n",
    )
    valid = (
        _HEADER + "    for sub in subs:\n        compensations.append(lambda sub=sub: remove(sub))\n",
        _HEADER + "    import functools\n    for sub in subs:\n        compensations.append(functools.partial(remove, sub))\n",
        _HEADER + "    for sub in subs:\n        await ctx.run('add', lambda: add(sub))\n",
        _HEADER + "    for sub in subs:\n        check = lambda: validate(sub)\n        check()\n",
    )


def _stored(model: Model, runs: dict[int, ast.expr]) -> Iterator[tuple[Made, Function, "ast.ListComp | ast.SetComp | ast.DictComp | None"]]:
    """Lambdas and nested defs that handler code stores for a later call, with the function
    whose code stores them and, for a comprehension's element, the comprehension."""
    assigned: list[dict[tuple[int, str], ast.Lambda | None]] = []  # the lambda names, on first need

    def callables(node: ast.expr, fn: Function) -> Iterator[Made]:
        return _callables(node, fn, model, runs, assigned)

    for call, fn in method_calls(model, model.handler_nodes, STORING_METHODS):
        method = call.func.attr  # type: ignore[attr-defined]
        if method in ("step", "register"):
            args = [k.value for k in call.keywords if k.arg == "compensate"]
            if method == "register" and len(call.args) == 2:
                args.append(call.args[1])
        else:
            args = [*call.args, *(k.value for k in call.keywords)]
        for arg in args:
            for made in callables(arg, fn):
                yield made, fn, None
    for stmts, fn in model.handler_segments(ast.Assign, ast.AugAssign):
        for stmt in stmts:
            if isinstance(stmt, ast.Assign):
                if any(isinstance(t, ast.Subscript) for t in stmt.targets):
                    for made in callables(stmt.value, fn):
                        yield made, fn, None
            elif isinstance(stmt.op, ast.Add) and isinstance(stmt.value, (ast.List, ast.Tuple)):  # type: ignore[attr-defined]
                for made in callables(stmt.value, fn):  # type: ignore[attr-defined]
                    yield made, fn, None
    for lits, fn in model.handler_segments(ast.Dict, ast.Set):
        for lit in lits:
            for value in lit.values if isinstance(lit, ast.Dict) else lit.elts:  # type: ignore[attr-defined]
                if isinstance(value, ast.Lambda):
                    yield value, fn, None
    for comps, fn in model.handler_segments(ast.ListComp, ast.SetComp, ast.DictComp):
        for comp in comps:
            elt = comp.value if isinstance(comp, ast.DictComp) else comp.elt  # type: ignore[attr-defined]
            if isinstance(elt, ast.Lambda):
                yield elt, fn, comp  # type: ignore[misc]
            elif isinstance(elt, ast.Call):  # `[ctx.run("charge", lambda: charge(s)) for s in subs]`
                for made in callables(elt, fn):
                    yield made, fn, comp  # type: ignore[misc]


def _callables(
    node: ast.expr, fn: Function, model: Model, runs: dict[int, ast.expr], assigned: list[dict[tuple[int, str], ast.Lambda | None]]
) -> Iterator[Made]:
    """The lambdas and nested defs ``node`` stores. A module-level function, not a recursive
    closure: a closure that calls itself is a reference cycle holding the model and its tree
    until the cyclic collector runs, where reference counting would free them at once."""
    if isinstance(node, ast.Lambda):
        yield node
    elif isinstance(node, ast.Name):
        child = fn.children.get(node.id)
        if child is not None:
            yield child.node
            return
        if not assigned:
            assigned.append(_lambda_names(model))
        found = assigned[0].get((id(fn), node.id))
        if found is not None:
            yield found
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for elt in node.elts:
            yield from _callables(elt, fn, model, runs, assigned)
    elif isinstance(node, ast.Call):
        # `futs.append(ctx.run("x", lambda: undo(sub)))`: the SDK schedules the action and
        # calls it only when the future is awaited, after the loop
        action = runs.get(id(node))
        if action is not None:
            yield from _callables(action, fn, model, runs, assigned)


_DEFERRING_RUNS = ("run", "run_typed")


def _deferred_runs(model: Model) -> dict[int, ast.expr]:
    """`ctx.run(...)` / `ctx.run_typed(...)` calls -> their action. restate-sdk 1.3.0 does not
    call the action there: it keeps a closure that runs it when the returned future is
    awaited, so a lambda made in a loop and run after the loop reads the loop's last value."""
    return {
        id(run.call): run.action
        for run in model.run_calls
        if run.context is not None and run.action is not None
        and isinstance(run.call.func, ast.Attribute) and run.call.func.attr in _DEFERRING_RUNS
    }


def _run_actions(model: Model, runs: dict[int, ast.expr]) -> set[int]:
    """The lambdas and nested defs those runs are given (by id)."""
    out: set[int] = set()
    for action in runs.values():
        out.add(id(action))
        if isinstance(action, ast.Name):
            for fn in model.functions:
                child = fn.children.get(action.id)
                if child is not None:
                    out.add(id(child.node))
    return out


def _awaits(comprehension: ast.AST | None, loops: "list[Loop]") -> bool:
    """Does the iteration that makes a run action await anything (then the SDK may run the
    action before the loop moves on: silent, as the rule cannot be sure)?"""
    roots: list[ast.AST] = [comprehension] if comprehension is not None else []
    for loop in loops:
        roots.extend(loop.body)
    return any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for r in roots for n in ast.walk(r))


def _lambda_names(model: Model) -> dict[tuple[int, str], ast.Lambda | None]:
    """(function, name) -> the lambda a local name is bound to (None: bound more than once)."""
    out: dict[tuple[int, str], ast.Lambda | None] = {}
    for stmts, fn in model.handler_segments(ast.Assign):
        for stmt in stmts:
            if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                key = (id(fn), stmt.targets[0].id)
                out[key] = stmt.value if isinstance(stmt.value, ast.Lambda) and key not in out else None
    return out


def _enclosing(loops: "list[Loop] | tuple[()]", node: ast.AST) -> Iterator[Loop]:
    """The loops (of the same function) whose body holds ``node``, by source position."""
    start = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    for loop in loops:
        first, last = loop.body[0], loop.body[-1]
        if (first.lineno, first.col_offset) <= start and start < (last.end_lineno or last.lineno, last.end_col_offset or 0):
            yield loop


def _names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _loop_variables(loop: Loop) -> list[str]:
    if isinstance(loop, ast.While):
        out: list[str] = []
        for stmt in loop.body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    out.append(node.id)
        return out
    return _names(loop.target)


def _free_reads(model: Model, made: Made, fn: Function) -> set[str]:
    """The names a lambda or nested def reads without binding them itself."""
    if isinstance(made, ast.Lambda):
        a = made.args
        bound = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, *(x for x in (a.vararg, a.kwarg) if x))}
        reads: set[str] = set()
        # only the body: default arguments are evaluated where the lambda is made
        for node in ast.walk(made.body):
            if isinstance(node, ast.Lambda):
                b = node.args
                bound.update(p.arg for p in (*b.posonlyargs, *b.args, *b.kwonlyargs, *(x for x in (b.vararg, b.kwarg) if x)))
            elif isinstance(node, ast.comprehension):
                bound.update(_names(node.target))
            elif isinstance(node, ast.Name):
                (reads if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        return reads - bound
    child = next((c for c in fn.children.values() if c.node is made), None)
    if child is None:
        return set()
    names = model.function_nodes(child).get(ast.Name, ())
    return {n.id for n in names if isinstance(n.ctx, ast.Load)} - child.local_names  # type: ignore[attr-defined]
