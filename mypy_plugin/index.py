"""Per-module facts that hooks cannot see from one call: parents, decorators, run actions.

Built once per module tree on the first hook that fires in it (the syntax is complete by
then; types are looked up later, when a rule asks). Keyed by the tree object, so a daemon
re-parse gets a fresh index.
"""

from __future__ import annotations

from typing import Iterator

from mypy.nodes import (
    CallExpr,
    Decorator,
    Expression,
    ExpressionStmt,
    FuncDef,
    FuncItem,
    LambdaExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    Node,
    RefExpr,
)

from mypy_plugin.tree import children

__all__ = ["ModuleIndex", "index_for", "RUN_METHODS", "action_of"]

RUN_METHODS = frozenset({"run", "run_typed"})
PARTIALS = frozenset({"functools.partial"})


def action_of(call: CallExpr) -> Expression | None:
    """The action argument of a `ctx.run(name, action, ...)` / `run_typed` call."""
    for i, (arg, name) in enumerate(zip(call.args, call.arg_names)):
        if name == "action" or (name is None and i == 1):
            return arg
    return None


def unwrap_partial(expr: Expression | None) -> tuple[Expression | None, list[Expression]]:
    """`functools.partial(fn, a, b)` -> (fn, [a, b]); anything else -> (expr, [])."""
    if isinstance(expr, CallExpr) and isinstance(expr.callee, RefExpr) and expr.callee.fullname in PARTIALS and expr.args:
        return expr.args[0], list(expr.args[1:])
    return expr, []


class ModuleIndex:
    def __init__(self, tree: MypyFile) -> None:
        self.parent: dict[int, Node] = {}
        self.decorator_of: dict[int, Decorator] = {}
        self.decorated_by_call: dict[int, FuncDef] = {}
        self.run_action_ids: set[int] = set()
        self.run_call_of_action: dict[int, CallExpr] = {}
        self.direct_calls: set[int] = set()
        self.functions: list[FuncItem] = []
        self.param_owner: dict[int, FuncItem] = {}
        """id(parameter Var) -> its function: a parameter's declared type before the body is checked."""
        self._build(tree)

    def _build(self, tree: MypyFile) -> None:
        stack: list[tuple[Node, Node | None]] = [(tree, None)]
        while stack:
            node, parent = stack.pop()
            if parent is not None:
                self.parent[id(node)] = parent
            if isinstance(node, Decorator):
                self.decorator_of[id(node.func)] = node
                for d in node.decorators:
                    if isinstance(d, CallExpr):
                        self.decorated_by_call[id(d)] = node.func
            elif isinstance(node, CallExpr):
                self._note_call(node)
            if isinstance(node, FuncItem):
                self.functions.append(node)
                for arg in node.arguments:
                    self.param_owner[id(arg.variable)] = node
            for child in children(node):
                stack.append((child, node))

    def _note_call(self, call: CallExpr) -> None:
        callee = call.callee
        if isinstance(callee, MemberExpr) and callee.name in RUN_METHODS:
            target, _ = unwrap_partial(action_of(call))
            func = _func_node(target)
            if func is not None:
                self.run_action_ids.add(id(func))
                self.run_call_of_action[id(func)] = call
        if isinstance(callee, NameExpr) and isinstance(_func_node(callee), FuncDef):
            # A nested function called directly by name is handler code when its caller is.
            self.direct_calls.add(id(_func_node(callee)))

    # -- queries -----------------------------------------------------------------------

    def enclosing_function(self, node: Node) -> FuncItem | None:
        for anc in self.ancestors(node):
            if isinstance(anc, FuncItem):
                return anc
        return None

    def ancestors(self, node: Node) -> Iterator[Node]:
        cur = self.parent.get(id(node))
        while cur is not None:
            yield cur
            cur = self.parent.get(id(cur))

    def is_run_action(self, func: FuncItem) -> bool:
        return id(func) in self.run_action_ids

    def is_called_directly(self, func: FuncItem) -> bool:
        return id(func) in self.direct_calls

    def is_discarded(self, call: CallExpr) -> bool:
        """The call is a bare expression statement: its result is thrown away."""
        parent = self.parent.get(id(call))
        return isinstance(parent, ExpressionStmt) and parent.expr is call

    def keyword_owner(self, expr: Node) -> tuple[CallExpr, str] | None:
        """If `expr` sits inside a keyword argument of a call, that call and the keyword."""
        child = expr
        for anc in self.ancestors(expr):
            if isinstance(anc, CallExpr):
                for arg, name in zip(anc.args, anc.arg_names):
                    if arg is child and name is not None:
                        return anc, name
            if isinstance(anc, (FuncItem, ExpressionStmt)) or not isinstance(anc, Expression):
                return None
            child = anc
        return None


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


def index_for(tree: MypyFile) -> ModuleIndex:
    hit = _CACHE.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    idx = ModuleIndex(tree)
    if len(_CACHE) > 512:
        _CACHE.clear()
    _CACHE[id(tree)] = (tree, idx)
    return idx

