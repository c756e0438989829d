"""A hand-written walk over mypy's AST.

mypy's visitor classes cannot be subclassed from a plugin on compiled mypy (python/mypy#19456),
so the children of each node kind are listed here by attribute name. Unknown kinds are leaves:
a node this table misses costs a finding, never a crash.
"""

from __future__ import annotations

from typing import Iterator

from mypy.nodes import Node

__all__ = ["children", "walk"]

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


def _flatten(value: object) -> Iterator[Node]:
    if value is None:
        return
    if isinstance(value, Node):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)


def children(node: Node) -> Iterator[Node]:
    for name in _FIELDS.get(type(node).__name__, ()):
        yield from _flatten(getattr(node, name, None))


def walk(node: Node) -> Iterator[Node]:
    """`node` and everything below it, depth first, in source order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))
