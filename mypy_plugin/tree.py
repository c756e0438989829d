"""A hand-written walk over mypy's AST.

mypy's visitor classes cannot be subclassed from a plugin on compiled mypy (python/mypy#19456),
so the children of each node kind are listed here by attribute name. Unknown kinds are leaves:
a node this table misses costs a finding, never a crash.
"""

from __future__ import annotations

from typing import Iterator

from mypy.nodes import Node

__all__ = ["children", "walk", "fields", "add_nodes"]

_FIELDS: dict[str, tuple[str, ...]] = {
    "MypyFile": ("defs",),
    "Block": ("body",),
    "ExpressionStmt": ("expr",),
    "AssignmentStmt": ("lvalues", "rvalue"),
    "OperatorAssignmentStmt": ("lvalue", "rvalue"),
    "ReturnStmt": ("expr",),
    "IfStmt": ("expr", "body", "else_body"),
    "WhileStmt": ("expr", "body", "else_body"),
    "ForStmt": ("index", "expr", "body", "else_body"),
    "WithStmt": ("expr", "target", "body"),
    "TryStmt": ("body", "types", "vars", "handlers", "else_body", "finally_body"),
    "FuncDef": ("body",),
    "Decorator": ("decorators", "func"),
    "OverloadedFuncDef": ("items", "impl"),
    "ClassDef": ("decorators", "defs"),
    "DelStmt": ("expr",),
    "AssertStmt": ("expr", "msg"),
    "RaiseStmt": ("expr", "from_expr"),
    "MatchStmt": ("subject", "guards", "bodies"),
    "AwaitExpr": ("expr",),
    "CallExpr": ("callee", "args"),
    "MemberExpr": ("expr",),
    "OpExpr": ("left", "right"),
    "ComparisonExpr": ("operands",),
    "UnaryExpr": ("expr",),
    "IndexExpr": ("base", "index"),
    "SliceExpr": ("begin_index", "end_index", "stride"),
    "LambdaExpr": ("body",),
    "ListExpr": ("items",),
    "TupleExpr": ("items",),
    "SetExpr": ("items",),
    "DictExpr": ("items",),
    "ConditionalExpr": ("cond", "if_expr", "else_expr"),
    "StarExpr": ("expr",),
    "ListComprehension": ("generator",),
    "SetComprehension": ("generator",),
    "GeneratorExpr": ("left_expr", "indices", "sequences", "condlists"),
    "DictionaryComprehension": ("key", "value", "indices", "sequences", "condlists"),
    "AssignmentExpr": ("target", "value"),
    "YieldExpr": ("expr",),
    "YieldFromExpr": ("expr",),
    "CastExpr": ("expr",),
    "AssertTypeExpr": ("expr",),
    "RevealExpr": ("expr",),
    "TypeApplication": ("expr",),
}


_BY_TYPE: dict[type, tuple[str, ...]] = {}
"""The same table keyed by class: one dict lookup per node, no name built."""


def fields(kind: type) -> tuple[str, ...]:
    """The attributes of a node class that hold its children, in source order."""
    found = _BY_TYPE.get(kind)
    if found is None:
        found = _BY_TYPE[kind] = _FIELDS.get(kind.__name__, ())
    return found


def add_nodes(out: list[Node], value: object) -> None:
    """Append the nodes in one field's value (a node, or a list of nodes, pairs or None) to `out`."""
    if isinstance(value, Node):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:  # lists of nodes, of (key, value) pairs, or of None (a dict's `**x`)
            if isinstance(item, Node):
                out.append(item)
            elif isinstance(item, (list, tuple)):
                add_nodes(out, item)


def children(node: Node) -> list[Node]:
    """The node's children in source order (a list: walks build it once per node, without
    the nested generators a per-child `yield from` costs on every node of every walk)."""
    out: list[Node] = []
    for name in fields(type(node)):
        value = getattr(node, name, None)
        if value is not None:
            add_nodes(out, value)
    return out


def walk(node: Node) -> Iterator[Node]:
    """`node` and everything below it, depth first, in source order."""
    stack = [node]
    pop, extend = stack.pop, stack.extend
    while stack:
        n = pop()
        yield n
        kids = children(n)
        if kids:
            kids.reverse()
            extend(kids)
