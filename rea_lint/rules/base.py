"""The base of every rule: one class per catalog code, with its own valid/invalid examples.

A rule reads the shared `Model` and yields `Finding`s; it never parses or walks the module
on its own. The examples double as tests (tests/test_rule_examples.py) and docs.
"""

from __future__ import annotations

import ast
import builtins
import weakref
from typing import Any, Callable, ClassVar, Iterable, Iterator

from rea_lint.catalog import RULES, Rule
from rea_lint.findings import Finding
from rea_lint.model import SAGA_CLASSES, Function, Model, call_name

__all__ = ["CallRule", "Checker", "Detection", "NodeSource", "memo", "qualified_calls", "resolved_calls", "saga_names"]

NodeSource = Callable[..., Iterator[tuple[ast.AST, Function]]]
"""`model.handler_nodes` or `model.plain_nodes`: where a rule looks."""
Detection = tuple[ast.AST, Function, str]
"""A forbidden thing: the node to point at, its function, the subject for the message."""


_BUILTINS = frozenset(dir(builtins))
_MEMOS: "weakref.WeakKeyDictionary[Model, dict[Any, Any]]" = weakref.WeakKeyDictionary()


def memo(model: Model) -> dict[Any, Any]:
    """A scratch dict that lives as long as ``model``: what several rules (or transitive
    analysis) derive from the same model is derived once and shared."""
    found = _MEMOS.get(model)
    if found is None:
        found = _MEMOS[model] = {}
    return found


def resolved_calls(model: Model, nodes: NodeSource) -> list[tuple[ast.Call, Function, str]]:
    """`model.resolved_calls(nodes)`, without asking the model about calls that cannot qualify.

    A call qualifies only through the name its `a.b.c` chain starts with, and only if that
    name is imported or an (unshadowed) builtin; `ctx.get(...)`, `self.x()`, `f()()` and calls
    of local names (most calls in handler code) are skipped without building their dotted
    text. Computed once per model and source."""
    key = ("resolved", getattr(nodes, "__func__", nodes))
    cache = memo(model)
    found = cache.get(key)
    if found is None:
        found = cache[key] = []
        imported = model.imports.names
        shadowed = model.module_names
        call_target = model.call_target
        attribute, name = ast.Attribute, ast.Name
        for call, fn in nodes(ast.Call):
            head = call.func  # type: ignore[attr-defined]
            while type(head) is attribute:
                head = head.value
            if type(head) is not name:
                continue
            ident = head.id
            if ident not in imported and (ident not in _BUILTINS or ident in shadowed):
                continue
            qual = call_target(call, fn)  # type: ignore[arg-type]
            if qual is not None:
                found.append((call, fn, qual))  # type: ignore[arg-type]
    return found


def qualified_calls(model: Model, nodes: NodeSource) -> tuple[list[tuple[ast.Call, Function, str]], dict[str, list[int]]]:
    """`resolved_calls` and, per qualified name, the positions of its calls in that list: a
    rule looking for a few names looks them up instead of testing every call."""
    key = ("by-qual", getattr(nodes, "__func__", nodes))
    cache = memo(model)
    found = cache.get(key)
    if found is None:
        calls = resolved_calls(model, nodes)
        by_qual: dict[str, list[int]] = {}
        for i, (_call, _fn, qual) in enumerate(calls):
            at = by_qual.get(qual)
            if at is None:
                by_qual[qual] = [i]
            else:
                at.append(i)
        found = cache[key] = (calls, by_qual)
    return found


_SAGA_IMPORTS = frozenset(
    name.rsplit(".", cut)[0] for name in SAGA_CLASSES for cut in range(name.count(".") + 1)
)
"""What an import must bind for a call to qualify to a `Saga` class (`rea_runtime`, `rea_runtime.saga` ...)."""


def saga_names(model: Model) -> dict[int, set[str]]:
    """`model.saga_names()`, once per model, and none without an import a saga can come from."""
    cache = memo(model)
    found: dict[int, set[str]] | None = cache.get("sagas")
    if found is None:
        if _SAGA_IMPORTS.isdisjoint(model.imports.names.values()):
            found = {}
        else:
            found = model.saga_names()
        cache["sagas"] = found
    return found


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
    judges_names: ClassVar[bool] = False
    """A rule whose own `matches` looks at the qualified name only (not the call): it is
    asked once per name, not once per call."""

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
        """The calls `matches` accepts, in source order (found by name, not call by call)."""
        calls, by_qual = qualified_calls(model, nodes)
        if not by_qual:
            return
        extra = model.config.extra_calls.get(self.code, ())
        if type(self).matches.__func__ is not CallRule.matches.__func__:  # type: ignore[attr-defined]
            matches = self.matches  # a rule of its own judgement
            if not self.judges_names:  # ask it call by call
                for call, fn, qual in calls:
                    if matches(qual, call, extra):
                        yield call, fn, call_name(call)
                return
            found = sorted(i for q, at in by_qual.items() if matches(q, calls[at[0]][0], extra) for i in at)
            for i in found:
                call, fn, _qual = calls[i]
                yield call, fn, call_name(call)
            return
        targets = self.targets
        if len(targets) <= len(by_qual):
            quals = [q for q in targets if q in by_qual]
        else:
            quals = [q for q in by_qual if q in targets]
        if extra:
            quals.extend(q for q in extra if q in by_qual)
        if self.prefixes:
            quals.extend(q for q in by_qual if q.startswith(self.prefixes))
        if not quals:
            return
        if len(quals) == 1:
            hits = by_qual[quals[0]]
        else:
            hits = sorted({i for q in quals for i in by_qual[q]})
        allows = self.allows
        for i in hits:
            call, fn, qual = calls[i]
            if not allows(qual, call):
                yield call, fn, call_name(call)

