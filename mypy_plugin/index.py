"""Per-module facts that hooks cannot see from one call: parents, decorators, run actions.

Built once per module tree on the first hook that fires in it (the syntax is complete by
then; types are looked up later, when a rule asks). Keyed by the tree object, so a daemon
re-parse gets a fresh index.
"""

from __future__ import annotations

from typing import Iterator

from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    ARG_STAR,
    GDEF,
    AssertStmt,
    AssignmentExpr,
    AssignmentStmt,
    CallExpr,
    ConditionalExpr,
    Decorator,
    Expression,
    ExpressionStmt,
    ForStmt,
    FuncDef,
    FuncItem,
    IfStmt,
    Import,
    ImportFrom,
    LambdaExpr,
    ListExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    Node,
    OperatorAssignmentStmt,
    OpExpr,
    RefExpr,
    TupleExpr,
    UnaryExpr,
    Var,
    WhileStmt,
    WithStmt,
)

from mypy_plugin.tree import add_nodes, fields
from rea_lint.tables import RUN_HELPERS, SAGA_RUN_METHODS

__all__ = ["ModuleIndex", "index_for", "RUN_METHODS", "action_of", "argument", "missing_imports"]

RUN_METHODS = frozenset({"run", "run_typed"})
PARTIALS = frozenset({"functools.partial"})


def argument(call: CallExpr, position: int | None, keyword: str | None) -> Expression | None:
    """The argument written at ``position`` or as ``keyword=``; None when it is not written out:
    after a `*args` (`f(*xs, a)`: which parameter gets `a` is known at run time) or in a `**mapping`."""
    at: int | None = 0
    for arg, kind, name in zip(call.args, call.arg_kinds, call.arg_names):
        if kind == ARG_POS:
            if at is not None:
                if at == position:
                    return arg
                at += 1
        elif kind == ARG_STAR:
            at = None
        elif kind == ARG_NAMED and keyword is not None and name == keyword:
            return arg
    return None


def action_of(call: CallExpr) -> Expression | None:
    """The action argument of a `ctx.run(name, action, ...)` / `run_typed` call."""
    return argument(call, 1, "action")


WEAK_USES = frozenset({"builtins.len", "builtins.str", "builtins.repr"})


def _names_of(target: Expression) -> Iterator[NameExpr]:
    if isinstance(target, NameExpr):
        yield target
    elif isinstance(target, (TupleExpr, ListExpr)):
        for item in target.items:
            yield from _names_of(item)


def unwrap_partial(expr: Expression | None) -> tuple[Expression | None, list[Expression]]:
    """`functools.partial(fn, a, b)` -> (fn, [a, b]); anything else -> (expr, [])."""
    if isinstance(expr, CallExpr) and isinstance(expr.callee, RefExpr) and expr.callee.fullname in PARTIALS and expr.args:
        return expr.args[0], list(expr.args[1:])
    return expr, []


_ENVIRON = frozenset({"os.environ", "os.environb"})
_DECORATOR, _CALL, _REF, _NAME, _ASSIGN, _ASSIGN_EXPR, _OP_ASSIGN, _FOR, _WITH, _EXIT = range(1, 11)
_PLANS: dict[type, tuple[int, bool, tuple[str, ...]]] = {}
"""Node class -> (what `_build` notes about it, is it a function, its children's fields)."""


class _Exit:
    """On `_build`'s stack under a function's children: popped after them, it restores the
    enclosing function and its lists."""

    __slots__ = ("saved",)

    def __init__(self, saved: tuple[object, ...]) -> None:
        self.saved = saved


def _plan(kind: type) -> tuple[int, bool, tuple[str, ...]]:
    if kind is _Exit:
        exit_plan: tuple[int, bool, tuple[str, ...]] = (_EXIT, False, ())
        _PLANS[kind] = exit_plan
        return exit_plan
    what = 0
    for base, code in ((Decorator, _DECORATOR), (CallExpr, _CALL), (NameExpr, _NAME), (RefExpr, _REF),
                       (AssignmentStmt, _ASSIGN), (AssignmentExpr, _ASSIGN_EXPR), (OperatorAssignmentStmt, _OP_ASSIGN),
                       (ForStmt, _FOR), (WithStmt, _WITH)):
        if issubclass(kind, base):
            what = code
            break
    plan = _PLANS[kind] = (what, issubclass(kind, FuncItem), fields(kind))
    return plan


class ModuleIndex:
    def __init__(self, tree: MypyFile) -> None:
        self.parent: dict[Node, Node] = {}
        """Node -> the node it sits in (mypy's nodes hash by identity: no `id()` made per node)."""
        self.decorator_of: dict[int, Decorator] = {}
        self.decorated_by_call: dict[int, FuncDef] = {}
        self._decorator_calls: list[CallExpr] = []
        self.run_action_ids: set[int] = set()
        self.run_call_of_action: dict[int, CallExpr] = {}
        self.direct_calls: set[int] = set()
        self.functions: list[FuncItem] = []
        self.param_owner: dict[int, FuncItem] = {}
        """id(parameter Var) -> its function: a parameter's declared type before the body is checked."""
        self._own_calls: dict[int, list[CallExpr]] = {}
        """id(function) (id(None) for module level) -> the calls in its body, not in nested functions."""
        self._nested: dict[int, list[FuncItem]] = {}
        """id(function) (id(None) for module level) -> the functions and lambdas directly inside it."""
        self.env_readers: set[int] = set()
        """id(function) of each function whose own body mentions `os.environ`."""
        self.context_params: dict[tuple[int, int], list[int]] = {}
        """(id(function), id(its declared type)) -> which parameters are contexts (see `Handlers`)."""
        self._names: dict[int, list[NameExpr]] = {}
        """id(function) -> the names its own body mentions (REA204's bound futures)."""
        self.missing_imports = self._missing = missing_imports(tree)
        """Names bound by imports mypy could not follow (see `mypy_plugin.untyped`); through them
        `from rea_runtime import run` still names the helper. Read once: the walk does not change them."""
        self._stores: set[int] = set()
        """id() of every NameExpr that is an assignment's target."""
        self._steps: dict[tuple[int, str], list[OperatorAssignmentStmt]] = {}
        """(id(function) or 0, name) -> its `x += ...`/`x -= ...` steps, in source order."""
        self._plain: dict[tuple[int, str], Expression | None] = {}
        """As `_bound`, with the steps left out: the one value a name starts from (REA112)."""
        self._bound: dict[tuple[int, str], Expression | None] = {}
        """(id(function) or 0 for the module, name) -> the one expression bound to it
        (`x = e`, `with e as x`); None if it is bound more than once."""
        self._build(tree)

    def _build(self, tree: MypyFile) -> None:
        # One walk over every node of the module, so the loop is written for speed: what a node
        # kind needs is looked up once per class (`_plan`), the stack holds bare nodes (a child's
        # parent is noted when it is pushed, the enclosing function is restored by an `_Exit`
        # pushed under a function's children), the current function's lists are kept at hand,
        # and the order (depth first, a node's children popped last-first) is the one queries rely on.
        parent_of = self.parent
        own_calls = self._own_calls
        names = self._names
        env_readers = self.env_readers
        note_call = self._note_call
        stack: list[Node] = [tree]
        pop, push = stack.pop, stack.append
        plans = _PLANS
        func: FuncItem | None = None
        func_names: list[NameExpr] | None = None
        func_calls: list[CallExpr] | None = None
        while stack:
            node = pop()
            kind = type(node)
            plan = plans.get(kind)
            if plan is None:
                plan = _plan(kind)
            what, is_function, attrs = plan
            if what == _NAME:
                if node.fullname in _ENVIRON:  # type: ignore[attr-defined]
                    env_readers.add(id(func))
                else:
                    if func_names is None:
                        func_names = names.setdefault(id(func), [])
                    func_names.append(node)  # type: ignore[arg-type]
            elif what == _CALL:
                note_call(node)  # type: ignore[arg-type]
                if func_calls is None:
                    func_calls = own_calls.setdefault(id(func), [])
                func_calls.append(node)  # type: ignore[arg-type]
            elif what == _EXIT:
                func, func_names, func_calls = node.saved  # type: ignore[attr-defined]
                continue
            elif what == _REF:  # (`a.b`: in handler code, mostly `ctx.x`)
                if node.fullname in _ENVIRON:  # type: ignore[attr-defined]
                    env_readers.add(id(func))
            elif what:
                self._note(what, node, func)
            if is_function:
                self.functions.append(node)  # type: ignore[arg-type]
                self._nested.setdefault(id(func), []).append(node)  # type: ignore[arg-type]
                for arg in node.arguments:  # type: ignore[attr-defined]
                    self.param_owner[id(arg.variable)] = node  # type: ignore[assignment]
                push(_Exit((func, func_names, func_calls)))  # type: ignore[arg-type]
                func = node  # type: ignore[assignment]
                func_names = func_calls = None
            # push the children in source order (popped last-first, as `tree.children` lists
            # them), straight onto the stack: no list per node
            for name in attrs:
                value = getattr(node, name, None)
                if value is None:
                    continue
                if type(value) is list:
                    for item in value:
                        if isinstance(item, Node):
                            parent_of[item] = node
                            push(item)
                        elif isinstance(item, (list, tuple)):  # a dict's (key, value) pairs
                            for sub in _nodes_in(item):
                                parent_of[sub] = node
                                push(sub)
                elif isinstance(value, Node):
                    parent_of[value] = node
                    push(value)
                else:
                    for sub in _nodes_in(value):
                        parent_of[sub] = node
                        push(sub)

    def _note(self, what: int, node: Node, func: FuncItem | None) -> None:
        """The rarer node kinds of `_build`: decorators and bindings."""
        if what == _DECORATOR:
            assert isinstance(node, Decorator)
            self.decorator_of[id(node.func)] = node
            for d in node.decorators:
                if isinstance(d, CallExpr):
                    self.decorated_by_call[id(d)] = node.func
                    self._decorator_calls.append(d)
        elif what == _ASSIGN:
            assert isinstance(node, AssignmentStmt)
            for lvalue in node.lvalues:
                self._bind(func, lvalue, node.rvalue)
                if isinstance(lvalue, NameExpr):  # most assignments: `x = ...`
                    self._stores.add(id(lvalue))
                else:
                    self._stores.update(id(n) for n in _names_of(lvalue))
        elif what == _ASSIGN_EXPR:
            assert isinstance(node, AssignmentExpr)
            self._bind(func, node.target, node.value)
        elif what == _OP_ASSIGN:
            assert isinstance(node, OperatorAssignmentStmt)
            self._bind(func, node.lvalue, None, step=True)
            if isinstance(node.lvalue, NameExpr):
                self._steps.setdefault((id(func) if func is not None else 0, node.lvalue.name), []).append(node)
        elif what == _FOR:
            assert isinstance(node, ForStmt)
            self._bind(func, node.index, None)
        elif what == _WITH:
            assert isinstance(node, WithStmt)
            for expr, target in zip(node.expr, node.target):
                if target is not None:
                    self._bind(func, target, expr)

    def _bind(self, func: FuncItem | None, target: Expression, value: Expression | None, step: bool = False) -> None:
        # Keyed by scope and name, not by the Var: the daemon re-analyses a function it
        # re-checks and gives its locals new Vars, while the statements stay the same nodes.
        if isinstance(target, (TupleExpr, ListExpr)):
            for item in target.items:
                self._bind(func, item, None)
        elif isinstance(target, NameExpr):
            key = (id(func) if func is not None else 0, target.name)
            self._bound[key] = None if key in self._bound else value
            if not step:
                self._plain[key] = None if key in self._plain else value

    def _helper_name(self, callee: RefExpr) -> str:
        """The callee's qualified name, also through an import mypy could not follow (rea_runtime
        installed where mypy does not look, e.g. an editable install behind an import hook)."""
        if self._missing:
            if isinstance(callee, NameExpr) and isinstance(callee.node, Var) and callee.node.is_suppressed_import:
                return self._missing.get(callee.name, callee.fullname)
            if isinstance(callee, MemberExpr):
                base = callee.expr
                if isinstance(base, NameExpr) and isinstance(base.node, Var) and base.node.is_suppressed_import:
                    return f"{self._missing.get(base.name, base.name)}.{callee.name}"
        return callee.fullname

    def _note_call(self, call: CallExpr) -> None:
        callee = call.callee
        if isinstance(callee, RefExpr):
            helper = RUN_HELPERS.get(self._helper_name(callee) if self._missing else callee.fullname)
        else:
            helper = None
        if helper is not None:  # rea_runtime.run(ctx, "name", action): the linter's list
            self._note_action(call, argument(call, helper[0], helper[1]))
        elif isinstance(callee, MemberExpr) and callee.name in RUN_METHODS:
            self._note_action(call, action_of(call))
        elif isinstance(callee, MemberExpr) and callee.name in SAGA_RUN_METHODS:
            # a saga's step/register: its action and compensation run as runs. Counting another
            # object's `.step(...)` in only ever silences a finding, never invents one.
            for position, keyword in SAGA_RUN_METHODS[callee.name]:
                self._note_action(call, argument(call, position, keyword))
        if isinstance(callee, NameExpr):
            target = _func_node(callee)
            if isinstance(target, FuncDef):
                # A nested function called directly by name is handler code when its caller is.
                self.direct_calls.add(id(target))

    def _note_action(self, call: CallExpr, action: Expression | None) -> None:
        target, _ = unwrap_partial(action)
        func = _func_node(target)
        if func is not None:
            self.run_action_ids.add(id(func))
            self.run_call_of_action[id(func)] = call

    # -- queries -----------------------------------------------------------------------

    def enclosing_function(self, node: Node) -> FuncItem | None:
        for anc in self.ancestors(node):
            if isinstance(anc, FuncItem):
                return anc
        return None

    def ancestors(self, node: Node) -> Iterator[Node]:
        cur = self.parent.get(node)
        while cur is not None:
            yield cur
            cur = self.parent.get(cur)

    def single_value(self, expr: Expression) -> Expression | None:
        """What a name was bound to, if it was bound exactly once (`key = f"..."`; `with X() as s`)."""
        if not isinstance(expr, NameExpr):
            return None
        if expr.kind != GDEF:
            func = self.enclosing_function(expr)
            while func is not None:  # a local, or a closure's variable of an enclosing function
                if any(a.variable.name == expr.name for a in func.arguments):
                    return None  # a parameter: whatever the caller passed
                key = (id(func), expr.name)
                if key in self._bound:
                    return self._bound[key]
                func = self.enclosing_function(func)
        return self._bound.get((0, expr.name))

    def first_step(self, stmt: AssignmentStmt, name: str) -> OperatorAssignmentStmt | None:
        """The first `name += ...`/`name -= ...` after ``stmt`` in its function, when ``stmt`` is
        the one plain binding of ``name`` there (`now = await ctx.time()`, then `now -= WINDOW_MS`):
        what the name holds up to that step is what ``stmt`` bound."""
        func = self.enclosing_function(stmt)
        key = (id(func) if func is not None else 0, name)
        if self._plain.get(key) is not stmt.rvalue:
            return None
        steps = self._steps.get(key)
        if not steps:
            return None
        first = min(steps, key=lambda s: (s.line, s.column))
        return first if (first.line, first.column) > (stmt.line, stmt.column) else None

    def module_value(self, name: str) -> Expression | None:
        """What a module-level name was bound to, if it was bound exactly once, followed through
        plain aliases (`Carts = carts`)."""
        value = self._bound.get((0, name))
        for _ in range(8):
            if not isinstance(value, NameExpr):
                break
            value = self._bound.get((0, value.name))
        return value

    def decorator_calls(self) -> list[CallExpr]:
        """Every decorator of the module that is a call (`@svc.handler()`)."""
        return self._decorator_calls

    def own_calls(self, func: FuncItem | None) -> list[CallExpr]:
        """The calls in a function's body, not in the functions and lambdas nested in it."""
        return self._own_calls.get(id(func), [])

    def calls_in_functions(self) -> Iterator[CallExpr]:
        """Every call inside some function (not at module or class level)."""
        for key, calls in self._own_calls.items():
            if key != id(None):
                yield from calls

    def nested(self, func: FuncItem) -> Iterator[FuncItem]:
        """`func` and every function and lambda nested in it, at any depth."""
        stack = [func]
        while stack:
            f = stack.pop()
            yield f
            stack.extend(self._nested.get(id(f), ()))

    def calls_within(self, func: FuncItem) -> Iterator[CallExpr]:
        """Every call in `func`, nested functions included."""
        for f in self.nested(func):
            yield from self.own_calls(f)

    def names_within(self, func: FuncItem) -> Iterator[NameExpr]:
        """Every name `func` mentions, nested functions included (the module's walk already
        found them: no walk of the function again). `os.environ` names are not among them."""
        for f in self.nested(func):
            yield from self._names.get(id(f), ())

    def loads_of(self, stmt: Node, name: str) -> Iterator[NameExpr]:
        """The reads of ``name`` in the function around ``stmt`` (nested functions included)."""
        func = self.enclosing_function(stmt)
        if func is None:
            return
        for f in self.nested(func):
            for n in self._names.get(id(f), ()):
                if n.name == name and id(n) not in self._stores:
                    yield n

    def future_unused(self, stmt: AssignmentStmt, name: str, ctx_name: str) -> bool:
        """REA204, as the linter reads it: the future bound to ``name`` by ``stmt`` is never
        read in its function (nested functions included) other than as a bare statement, by
        `len`/`str`/`repr`, as the value of `<ctx>.set(k, fut)`, or tested for truth (`if fut:`,
        `while not fut and x:`: a future is always truthy)."""
        func = self.enclosing_function(stmt)
        if func is None:
            return False
        loads = weak = 0
        for f in self.nested(func):
            for n in self._names.get(id(f), ()):
                if n.name != name or id(n) in self._stores:
                    continue
                loads += 1
                parent = self.parent.get(n)
                if isinstance(parent, ExpressionStmt) or self._truth_test(n):
                    weak += 1
                elif isinstance(parent, CallExpr) and n in parent.args:
                    callee = parent.callee
                    if isinstance(callee, RefExpr) and callee.fullname in WEAK_USES:
                        weak += 1
                    elif (isinstance(callee, MemberExpr) and callee.name == "set" and isinstance(callee.expr, NameExpr)
                          and callee.expr.name == ctx_name):
                        weak += 1
        return loads == weak

    def _truth_test(self, expr: Expression) -> bool:
        """Is ``expr`` only tested for truth: the condition of an `if`/`while`/`assert`/`x if c
        else y`, or inside one through `not`, `and`, `or` alone?"""
        node: Expression = expr
        parent = self.parent.get(node)
        while (isinstance(parent, UnaryExpr) and parent.op == "not") or (isinstance(parent, OpExpr) and parent.op in ("and", "or")):
            node, parent = parent, self.parent.get(parent)
        if isinstance(parent, IfStmt):
            return any(node is test for test in parent.expr)
        if isinstance(parent, (WhileStmt, AssertStmt)):
            return parent.expr is node
        return isinstance(parent, ConditionalExpr) and parent.cond is node

    def is_run_action(self, func: FuncItem) -> bool:
        return id(func) in self.run_action_ids

    def is_called_directly(self, func: FuncItem) -> bool:
        return id(func) in self.direct_calls

    def is_discarded(self, call: CallExpr) -> bool:
        """The call is a bare expression statement: its result is thrown away."""
        parent = self.parent.get(call)
        return isinstance(parent, ExpressionStmt) and parent.expr is call


def missing_imports(tree: MypyFile) -> dict[str, str]:
    """Local name -> what it imports, for the module-level imports mypy could not follow."""
    wanted: dict[str, str] = {}
    for imp in tree.imports:
        if isinstance(imp, Import):
            for module, alias in imp.ids:
                wanted[alias or module.split(".")[0]] = module if alias else module.split(".")[0]
        elif isinstance(imp, ImportFrom) and not imp.relative:
            for name, alias in imp.names:
                wanted[alias or name] = f"{imp.id}.{name}"
    out = {}
    for local, target in wanted.items():
        sym = tree.names.get(local)
        if sym is not None and isinstance(sym.node, Var) and sym.node.is_suppressed_import:
            out[local] = target
    return out


def _nodes_in(value: object) -> list[Node]:
    out: list[Node] = []
    add_nodes(out, value)
    return out


def _func_node(expr: Expression | None) -> FuncItem | None:
    if isinstance(expr, LambdaExpr):
        return expr
    if isinstance(expr, RefExpr):
        node = expr.node
        if isinstance(node, Decorator):
            node = node.func
        if isinstance(node, FuncDef):
            return node
    return None


_CACHE: dict[int, tuple[MypyFile, ModuleIndex]] = {}
"""id(tree) -> (tree, index); holding the tree keeps the ids of its nodes unique."""
_CACHE_SIZE = 32
"""mypy checks a module at a time (the modules of an import cycle in turns), so a few indexes
cover what its hooks ask; keeping every module's would only hold memory (and, as objects that
live on, make Python's garbage collector run in the middle of mypy's check)."""


def index_for(tree: MypyFile) -> ModuleIndex:
    hit = _CACHE.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    idx = ModuleIndex(tree)
    if len(_CACHE) >= _CACHE_SIZE:
        del _CACHE[next(iter(_CACHE))]  # the oldest
    _CACHE[id(tree)] = (tree, idx)
    return idx

