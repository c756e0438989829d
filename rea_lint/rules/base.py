"""The base of every rule: one class per catalog code, with its own valid/invalid examples.

A rule reads the shared `Model` and yields `Finding`s; it never parses or walks the module
on its own. The examples double as tests (tests/test_rule_examples.py) and docs.
"""

from __future__ import annotations

import ast
from typing import Callable, ClassVar, Iterable, Iterator

from rea_lint.catalog import RULES, Rule
from rea_lint.findings import Finding
from rea_lint.model import Function, Model, call_name

__all__ = ["CallRule", "Checker", "Detection", "NodeSource"]

NodeSource = Callable[..., Iterator[tuple[ast.AST, Function]]]
"""`model.handler_nodes` or `model.plain_nodes`: where a rule looks."""
Detection = tuple[ast.AST, Function, str]
"""A forbidden thing: the node to point at, its function, the subject for the message."""


class Checker:
    code: ClassVar[str]
    valid: ClassVar[tuple[str, ...]] = ()
    """Snippets that must produce no finding of this code."""
    invalid: ClassVar[tuple[str, ...]] = ()
    """Snippets that must produce at least one finding of this code."""
    transitive: ClassVar[bool] = False
    """Whether handler code calling a project function that does this is reported too
    (the rule specification, "Transitive findings": REA101-103, REA105, REA108-110). Such a rule
    implements `detect`, which transitive analysis runs over non-handler functions."""

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def check(self, model: Model) -> Iterator[Finding]:
        for node, fn, subject in self.detect(model, model.handler_nodes):
            yield self.report(node, subject=subject, ctx=fn.context_name(), data=fn)

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        """The forbidden things among ``nodes`` (a rule that overrides `check` needs none)."""
        raise NotImplementedError

    def report(self, node: ast.AST, subject: str, ctx: str = "ctx", via: str = "", data: object = None) -> Finding:
        return Finding(
            line=node.lineno,  # type: ignore[attr-defined]
            col=node.col_offset,  # type: ignore[attr-defined]
            code=self.code,
            message=self.rule.render(subject=subject, ctx=ctx, via=via),
            end_line=getattr(node, "end_lineno", None),
            end_col=getattr(node, "end_col_offset", None),
            data=data,
        )


class CallRule(Checker):
    """A rule that forbids calling some qualified names in handler code.

    `targets` are exact qualified names, `prefixes` match whole modules (`numpy.random.`);
    `[tool.rea] extra-calls` adds more per code. `allows` lets a rule exempt a call by its
    arguments (a seeded `random.Random(42)`).
    """

    targets: ClassVar[frozenset[str]] = frozenset()
    prefixes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def matches(cls, qualname: str, call: ast.Call, extra: Iterable[str] = ()) -> bool:
        if qualname in cls.targets or qualname in extra:
            return not cls.allows(qualname, call)
        if cls.prefixes and qualname.startswith(cls.prefixes):
            return not cls.allows(qualname, call)
        return False

    @classmethod
    def allows(cls, qualname: str, call: ast.Call) -> bool:
        return False

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        extra = model.config.extra_calls.get(self.code, ())
        matches = self.matches
        for call, fn, qual in model.resolved_calls(nodes):
            if matches(qual, call, extra):
                yield call, fn, call_name(call)

