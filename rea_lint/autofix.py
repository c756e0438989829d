"""Replay-aware autofixes: rewrite findings with libcst, keeping formatting and comments.

Detection runs on `ast` (fast); only a file that has findings of a fixable rule is parsed
again with libcst here. A finding is mapped to its libcst node by position (the ast range,
converted from UTF-8 byte columns to the character columns libcst's `PositionProvider`
uses), and the semantic facts a fix needs (which handler context is in scope, what a call
resolves to) come from rea's own model of the same source, so a fix means exactly what the
rule meant.

A fix is offered only where it is correct: `await ctx.time()` only inside an `async def`
(never in a lambda or generator expression), `ctx.random()` with the context name of the
enclosing handler, `ctx.uuid()` only for argument-less `uuid4()`/`uuid1()`. Whether it is
safe for in-flight invocations comes from the catalog (`Fix.SAFE` / `Fix.UNSAFE`).
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from rea_lint.catalog import RULES, Fix
from rea_lint.config import DEFAULT, ReaConfig
from rea_lint.findings import Finding
from rea_lint.fix_limits import LIMITS
from rea_lint.model import Function, Model, build_model
from rea_lint.names import ImportMap

__all__ = ["Edit", "FixPlan", "Fixer", "LIMITS", "fixable_codes"]

Builder = Callable[[cst.CSTNode], cst.CSTNode]

_DATETIME_FIXES = {
    "datetime.datetime.now": "fromtimestamp",
    "datetime.datetime.today": "fromtimestamp",
    "datetime.date.today": "fromtimestamp",
    "datetime.datetime.utcnow": "utcfromtimestamp",
}
_RANDOM_METHODS = frozenset(
    name
    for name in dir(random.Random)
    if not name.startswith("_") and callable(getattr(random.Random, name)) and name not in ("seed", "getstate", "setstate")
)
_CONTEXT_ROOT = "restate"
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def fixable_codes() -> frozenset[str]:
    """Codes whose catalog entry says the linter can rewrite them."""
    return frozenset(code for code, rule in RULES.items() if rule.fix is not Fix.NONE)


@dataclass(frozen=True)
class Edit:
    """A text replacement: lines 1-based, columns 0-based characters, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class FixPlan:
    finding: Finding
    target: cst.CSTNode
    build: Builder
    order: int = 0
    """Builders on the same node run by ascending order (argument removals: last first)."""

    @property
    def applicability(self) -> Fix:
        return RULES[self.finding.code].fix


class Fixer:
    """Fix plans for one module's findings, and the source with a chosen set applied."""

    def __init__(self, source: str, config: ReaConfig = DEFAULT, tree: ast.Module | None = None) -> None:
        self.source = source
        self.config = config
        self.tree = tree if tree is not None else ast.parse(source)
        self._lines = _LINE_SPLIT.split(source)
        # our own parse, never shared: skip the defensive deep copy
        self.wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
        self.positions = self.wrapper.resolve(PositionProvider)
        # Structural questions (which function encloses a call, what is its parent) are asked
        # of the ast tree: a libcst parent map costs another full libcst traversal per file.
        self._ast_parent: dict[ast.AST, ast.AST] = {}
        self._ast_at: dict[tuple[int, int, int | None, int | None], ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self._ast_parent[child] = node
            if isinstance(node, (ast.expr, ast.stmt, ast.keyword)):
                self._ast_at.setdefault(_span(node), node)
        self.model: Model = build_model(self.tree, config, ImportMap.from_tree(self.tree))
        self._calls: dict[tuple[int, int, int | None, int | None], tuple[ast.Call, Function]] = {
            _span(call): (call, fn) for call, fn in self.model.handler_nodes(ast.Call)
        }
        self._by_type: dict[type, list[tuple[cst.CSTNode, CodeRange]]] = {}
        for cst_node, rng in self.positions.items():
            self._by_type.setdefault(type(cst_node), []).append((cst_node, rng))

    # -- planning -----------------------------------------------------------------------

    def plan(self, findings: Iterable[Finding]) -> dict[Finding, FixPlan]:
        """The findings that have a fix here (others: no correct rewrite exists)."""
        out: dict[Finding, FixPlan] = {}
        for f in findings:
            planner = _PLANNERS.get(f.code)
            if planner is None or RULES[f.code].fix is Fix.NONE:
                continue
            try:
                planned = planner(self, f)
            except (cst.ParserSyntaxError, ValueError, LookupError):
                planned = None
            if planned is not None:
                out[f] = planned
        return out

    def apply(self, plans: Iterable[FixPlan]) -> str:
        """The source with these fixes applied (the original if none)."""
        by_node: dict[int, list[FixPlan]] = {}
        for p in plans:  # the plans keep their target nodes alive, so ids stay unique
            by_node.setdefault(id(p.target), []).append(p)
        if not by_node:
            return self.source
        for group in by_node.values():
            group.sort(key=lambda p: p.order)
        return _keep_final_cr(self.source, self.wrapper.module.visit(_Apply(by_node)).code)

    def edit(self, plan: FixPlan) -> Edit:
        """The single text replacement one fix makes (for SARIF/JSON `fixes`): the rewritten
        node's own code, so the edit reads `time.time()` -> `await ctx.time()` (and no
        whole-module transform is needed per finding)."""
        node, new = plan.target, plan.build(plan.target)
        if isinstance(node, cst.Expr) and isinstance(new, cst.Expr):
            node, new = node.value, new.value  # a statement's range may not cover its `;`
        first = node.lpar[0] if getattr(node, "lpar", None) else node  # type: ignore[attr-defined]
        last = node.rpar[-1] if getattr(node, "rpar", None) else node  # type: ignore[attr-defined]
        start, end = self.positions.get(first), self.positions.get(last)
        if start is None or end is None:
            return _diff_region(self.source, self.apply([plan]))
        text = self.wrapper.module.code_for_node(new)
        return Edit(start.start.line, start.start.column, end.end.line, end.end.column, text)

    # -- helpers for planners -------------------------------------------------------------

    def char_range(self, f: Finding) -> tuple[int, int, int, int]:
        end_line = f.end_line if f.end_line is not None else f.line
        end_col = f.end_col if f.end_col is not None else f.col
        return f.line, self._char_col(f.line, f.col), end_line, self._char_col(end_line, end_col)

    def _char_col(self, line: int, col: int) -> int:
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        if text.isascii():
            return col
        return len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    def smallest(self, f: Finding, types: type | tuple[type, ...]) -> cst.CSTNode | None:
        """The innermost node of ``types`` whose range contains the finding's range."""
        line, col, end_line, end_col = self.char_range(f)
        best: tuple[cst.CSTNode, CodeRange] | None = None
        for t, items in self._by_type.items():
            if not issubclass(t, types):
                continue
            for node, rng in items:
                if (rng.start.line, rng.start.column) <= (line, col) and (rng.end.line, rng.end.column) >= (end_line, end_col):
                    if best is None or _inside(rng, best[1]):
                        best = (node, rng)
        return best[0] if best else None

    def call_at(self, f: Finding) -> tuple[ast.Call, Function, str | None] | None:
        found = self._calls.get((f.line, f.col, f.end_line, f.end_col))
        if found is None:
            return None
        call, fn = found
        return call, fn, self.model.call_target(call, fn)

    def ast_node(self, f: Finding) -> ast.AST | None:
        """The ast node the finding points at (its range, as the rule reported it)."""
        return self._ast_at.get((f.line, f.col, f.end_line, f.end_col))

    def await_allowed(self, f: Finding) -> bool:
        """Is the finding's node directly in the body of an `async def` (no lambda, generator
        expression or class in between)?"""
        current = self.ast_node(f)
        while current is not None:
            current = self._ast_parent.get(current)
            if isinstance(current, (ast.Lambda, ast.GeneratorExp, ast.ClassDef, ast.FunctionDef)):
                return False
            if isinstance(current, ast.AsyncFunctionDef):
                return True
        return False

    def needs_parens(self, f: Finding) -> bool:
        """`await x` as the object of `.attr`, `[i]` or `(...)` must be parenthesised."""
        node = self.ast_node(f)
        parent = self._ast_parent.get(node) if node is not None else None
        if isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is node:
            return True
        return isinstance(parent, ast.Call) and parent.func is node


def _span(node: ast.AST) -> tuple[int, int, int | None, int | None]:
    return (node.lineno, node.col_offset, getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))  # type: ignore[attr-defined]


def _inside(a: CodeRange, b: CodeRange) -> bool:
    return (a.start.line, a.start.column) >= (b.start.line, b.start.column) and (a.end.line, a.end.column) <= (
        b.end.line,
        b.end.column,
    )


def _context_name(fn: Function) -> str | None:
    """The handler's own context name, if one is in scope where the call is."""
    for name in fn.contexts:
        return name
    return None


def _call_in_handler(fixer: "Fixer", f: Finding) -> tuple[ast.Call, str | None, str | None] | None:
    """The call a finding points at, the handler's context name, and the call's qualified name."""
    found = fixer.call_at(f)
    if found is None:
        return None
    call, fn, qual = found
    return call, _context_name(fn), qual


class _Apply(cst.CSTTransformer):
    def __init__(self, plans: dict[int, list[FixPlan]]) -> None:
        super().__init__()
        self.plans = plans

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        group = self.plans.get(id(original_node))
        if group:
            for plan in group:
                updated_node = plan.build(updated_node)
        return updated_node


# --- the fixes ---------------------------------------------------------------------------------


def _await_time(ctx: str) -> cst.Await:
    return cst.Await(expression=cst.parse_expression(f"{ctx}.time()"))


def _plan_time(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA101: `time.time()` -> `await ctx.time()`; `datetime.now()` -> `datetime.fromtimestamp(await ctx.time())`."""
    found = _call_in_handler(fixer, f)
    if found is None:
        return None
    call, ctx, qual = found
    node = fixer.smallest(f, cst.Call)
    if ctx is None or not isinstance(node, cst.Call) or not fixer.await_allowed(f):
        return None
    if qual == "time.time" and not call.args and not call.keywords:
        parens = fixer.needs_parens(f) and not node.lpar

        def build(n: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(n, cst.Call)
            new = _await_time(ctx)
            if n.lpar or parens:
                new = new.with_changes(lpar=n.lpar or [cst.LeftParen()], rpar=n.rpar or [cst.RightParen()])
            return new

        return FixPlan(f, node, build)
    method = _DATETIME_FIXES.get(qual or "")
    if method is not None and isinstance(node.func, cst.Attribute) and not any(a.star for a in node.args):
        if qual != "datetime.datetime.now" and (call.args or call.keywords):
            return None

        def build_dt(n: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)
            first = cst.Arg(_await_time(ctx))
            if n.args:
                first = first.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            return n.with_changes(func=n.func.with_changes(attr=cst.Name(method)), args=[first, *n.args])

        return FixPlan(f, node, build_dt)
    return None


def _plan_random(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA102: `random.<fn>(...)` -> `ctx.random().<fn>(...)` (module functions only)."""
    found = _call_in_handler(fixer, f)
    if found is None:
        return None
    _call, ctx, qual = found
    if ctx is None or not qual or not qual.startswith("random."):
        return None
    method = qual[len("random.") :]
    if method not in _RANDOM_METHODS:
        return None
    node = fixer.smallest(f, cst.Call)
    if not isinstance(node, cst.Call):
        return None

    def build(n: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(n, cst.Call)
        return n.with_changes(func=cst.parse_expression(f"{ctx}.random().{method}"))

    return FixPlan(f, node, build)


def _plan_uuid(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA103: `uuid.uuid4()` / `uuid.uuid1()` -> `ctx.uuid()`."""
    found = _call_in_handler(fixer, f)
    if found is None:
        return None
    call, ctx, qual = found
    if ctx is None or qual not in ("uuid.uuid4", "uuid.uuid1") or call.args or call.keywords:
        return None
    node = fixer.smallest(f, cst.Call)
    if not isinstance(node, cst.Call):
        return None

    def build(n: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(n, cst.Call)
        return cst.parse_expression(f"{ctx}.uuid()").with_changes(lpar=n.lpar, rpar=n.rpar)

    return FixPlan(f, node, build)


def _plan_sorted(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA104: iterate `sorted(<set>)` (the finding points at the iterable, or its `for`),
    only where the rule knows the elements are of one orderable type: `sorted({1, "a"})`
    raises TypeError."""
    if not (isinstance(f.data, dict) and f.data.get("orderable")):
        return None
    node = fixer.smallest(f, cst.BaseExpression)
    if not isinstance(node, cst.BaseExpression):
        loop = fixer.smallest(f, (cst.For, cst.CompFor))
        if not isinstance(loop, (cst.For, cst.CompFor)):
            return None
        node = loop.iter
    target = _set_inside(node)

    def build(n: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(n, cst.BaseExpression)
        inner = n.with_changes(lpar=[], rpar=[]) if isinstance(n, (cst.Name, cst.Attribute, cst.Call, cst.Set, cst.SetComp)) else n
        return cst.Call(func=cst.Name("sorted"), args=[cst.Arg(inner)])

    return FixPlan(f, target, build)


def _set_inside(node: cst.BaseExpression) -> cst.BaseExpression:
    """For a value built from a set (REA104 (b): `list(s)`, `",".join(s)`, `[*s]`, a
    comprehension), the set to sort; any other finding points at the set itself."""
    if isinstance(node, cst.Call) and len(node.args) == 1:
        func = node.func
        if (isinstance(func, cst.Attribute) and func.attr.value == "join") or (
            isinstance(func, cst.Name) and func.value in ("list", "tuple")
        ):
            return _set_inside(node.args[0].value)
    if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return node.for_in.iter
    if isinstance(node, (cst.List, cst.Tuple)):
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return element.value
    return node


def _plan_annotation(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA203: rewrite the context annotation to the type the decorator implies."""
    expected = _expected_context(fixer, f)
    node = fixer.smallest(f, cst.BaseExpression)
    if expected is None or not isinstance(node, cst.BaseExpression):
        return None
    if isinstance(node, cst.SimpleString):
        inner = node.evaluated_value
        if not isinstance(inner, str):
            return None
        try:
            rewritten = _rewrite_type(fixer, cst.parse_expression(inner), expected)
        except cst.ParserSyntaxError:
            return None
        if rewritten is None:
            return None
        text = cst.Module([]).code_for_node(rewritten)
        prefix = node.prefix
        quote = node.quote
        new_value = f"{prefix}{quote}{text}{quote}"
        return FixPlan(f, node, lambda n: n.with_changes(value=new_value))
    replacement = _rewrite_type(fixer, node, expected)
    if replacement is None:
        return None
    return FixPlan(f, node, lambda n: replacement.with_changes(lpar=n.lpar, rpar=n.rpar))  # type: ignore[attr-defined]


def _expected_context(fixer: Fixer, f: Finding) -> str | None:
    for fn in fixer.model.functions:
        for ctx in fn.own_contexts.values():
            ann = ctx.annotation
            if ann is not None and (ann.lineno, ann.col_offset) == (f.line, f.col):
                handler = fn.handler
                return handler.expected_context if handler is not None else None
    return None


def _rewrite_type(fixer: Fixer, node: cst.BaseExpression, expected: str) -> cst.BaseExpression | None:
    if isinstance(node, cst.Attribute):
        root = node
        while isinstance(root, cst.Attribute):
            root = root.value  # type: ignore[assignment]
        head = root.value if isinstance(root, cst.Name) else None
        if head is None or not (fixer.model.imports.names.get(head, "").split(".")[0] == _CONTEXT_ROOT):
            return None
        return node.with_changes(attr=cst.Name(expected))
    if isinstance(node, cst.Name):
        names = fixer.model.imports.names
        for local, qual in names.items():
            if qual.split(".")[0] == _CONTEXT_ROOT and qual.rsplit(".", 1)[-1] == expected:
                return cst.Name(local)
        for local, qual in names.items():
            if qual == _CONTEXT_ROOT:
                return cst.Attribute(value=cst.Name(local), attr=cst.Name(expected))
    return None


def _plan_await(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA204: `ctx.sleep(...)` as a bare statement -> `await ctx.sleep(...)`, and a future
    bound to a name and never used -> `f = await ctx.get(...)`, in an async def. Not for an
    awakeable's unpacked pair (a tuple, not awaitable) nor a promise handle (awaiting it would
    wait for its value)."""
    if not fixer.await_allowed(f):
        return None
    bound = fixer.ast_node(f)
    if isinstance(bound, ast.Assign):
        return _plan_await_bound(fixer, f, bound)
    stmt = fixer.smallest(f, cst.Expr)
    if not isinstance(stmt, cst.Expr):
        return None
    if not isinstance(stmt.value, (cst.Call, cst.Attribute, cst.Name, cst.Subscript)):
        return None

    def build(n: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(n, cst.Expr)
        return n.with_changes(value=cst.Await(expression=n.value))

    return FixPlan(f, stmt, build)


def _plan_await_bound(fixer: Fixer, f: Finding, bound: ast.Assign) -> FixPlan | None:
    value = bound.value
    if not (len(bound.targets) == 1 and isinstance(bound.targets[0], ast.Name) and isinstance(value, ast.Call)):
        return None
    if isinstance(value.func, ast.Attribute) and value.func.attr in ("awakeable", "promise"):
        return None
    assign = fixer.smallest(f, cst.Assign)
    if not isinstance(assign, cst.Assign) or not isinstance(assign.value, cst.Call):
        return None

    def build(n: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(n, cst.Assign)
        return n.with_changes(value=cst.Await(expression=n.value))

    return FixPlan(f, assign, build)


def _plan_drop_key(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA301: remove the `idempotency_key=` argument, keeping the call's comma style."""
    arg = fixer.smallest(f, cst.Arg)
    if not isinstance(arg, cst.Arg) or arg.keyword is None or arg.keyword.value != "idempotency_key":
        return None
    call = fixer.smallest(f, cst.Call)  # the call whose argument list holds the keyword
    if not isinstance(call, cst.Call) or not any(a is arg for a in call.args):
        return None
    index = next(i for i, a in enumerate(call.args) if a is arg)

    def build(n: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(n, cst.Call)
        args = list(n.args)
        removed = args.pop(index)
        if index == len(args) and args:
            # the removed argument was last: the new last one takes over its trailing comma
            args[-1] = args[-1].with_changes(comma=removed.comma)
        return n.with_changes(args=args)

    return FixPlan(f, call, build, order=-index)


def _plan_bind_loop_variables(fixer: Fixer, f: Finding) -> FixPlan | None:
    """REA209: bind the late-read loop variables as default arguments (`lambda sub=sub: ...`,
    `def undo(sub=sub):`). Positional with a default, or keyword-only after `*args`/`*`, so no
    existing call of the callable changes meaning; a fixed callable binds them, so a second
    run finds nothing."""
    names = (f.data or {}).get("names") if isinstance(f.data, dict) else None
    if not names:
        return None
    node = fixer.smallest(f, (cst.Lambda, cst.FunctionDef))
    if node is None:
        return None
    # a def's own parameters are the target (an edit of the whole statement would carry its
    # indentation); a lambda is an expression, rewritten whole
    target: cst.CSTNode = node.params if isinstance(node, cst.FunctionDef) else node

    def build(n: cst.CSTNode) -> cst.CSTNode:
        lam = n if isinstance(n, cst.Lambda) else None
        params = lam.params if lam is not None else n
        assert isinstance(params, cst.Parameters)
        have = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
        added = [
            cst.Param(
                cst.Name(v),
                default=cst.Name(v),
                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
            )
            for v in names
            if v not in have
        ]
        if isinstance(params.star_arg, (cst.Param, cst.ParamStar)):
            params = params.with_changes(kwonly_params=[*params.kwonly_params, *added])
        else:
            params = params.with_changes(params=[*params.params, *added])
        return lam.with_changes(params=params) if lam is not None else params

    return FixPlan(f, target, build)


_PLANNERS: dict[str, Callable[[Fixer, Finding], FixPlan | None]] = {
    "REA101": _plan_time,
    "REA102": _plan_random,
    "REA103": _plan_uuid,
    "REA104": _plan_sorted,
    "REA203": _plan_annotation,
    "REA204": _plan_await,
    "REA209": _plan_bind_loop_variables,
    "REA301": _plan_drop_key,
}


def _diff_region(before: str, after: str) -> Edit:
    """The one replacement turning ``before`` into ``after`` (common prefix and suffix kept)."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end_b, end_a = len(before), len(after)
    while end_b > start and end_a > start and before[end_b - 1] == after[end_a - 1]:
        end_b -= 1
        end_a -= 1
    line, col = _line_col(before, start)
    end_line, end_col = _line_col(before, end_b)
    return Edit(line, col, end_line, end_col, after[start:end_a])


def _line_col(text: str, offset: int) -> tuple[int, int]:
    head = text[:offset]
    line = head.count("\n") + 1
    return line, offset - (head.rfind("\n") + 1)


def _keep_final_cr(source: str, fixed: str) -> str:
    """libcst drops the last `\r` of a file whose lines end in a bare CR (old Mac style):
    put it back, so a fix changes the fixed code and nothing else."""
    if source.endswith("\r") and not fixed.endswith("\r"):
        return fixed + "\r"
    return fixed


def fix_source(
    source: str,
    findings: Sequence[Finding],
    config: ReaConfig,
    unsafe: bool,
    tree: ast.Module | None = None,
) -> tuple[str, list[FixPlan]]:
    """Apply every applicable fix once: (new source, the plans applied)."""
    fixer = Fixer(source, config, tree)
    plans = [
        p for p in fixer.plan(findings).values() if p.applicability is Fix.SAFE or (unsafe and p.applicability is Fix.UNSAFE)
    ]
    return fixer.apply(plans), plans
