"""The base of every rule: one class per catalog code, with its own valid/invalid examples.

A rule reads the shared `Model` and yields `Finding`s; it never parses or walks the module
on its own. The examples double as tests (tests/test_rule_examples.py) and docs.
"""

from __future__ import annotations

import ast
import builtins
from itertools import chain
from typing import Any, Callable, ClassVar, Iterable, Iterator

from rea_lint.catalog import RULES, Rule
from rea_lint.config import ReaConfig
from rea_lint.findings import Finding
from rea_lint.model import SAGA_CLASSES, Function, Model, call_name

__all__ = [
    "CallRule",
    "Calls",
    "Checker",
    "Cues",
    "Detection",
    "NodeSource",
    "calls",
    "dot_prefixes",
    "memo",
    "method_calls",
    "qualified_calls",
    "resolved_calls",
    "saga_names",
    "segments",
]

NodeSource = Callable[..., Iterator[tuple[ast.AST, Function]]]
"""`model.handler_nodes` or `model.plain_nodes`: where a rule looks."""
Detection = tuple[ast.AST, Function, str]
"""A forbidden thing: the node to point at, its function, the subject for the message."""


_BUILTINS = frozenset(dir(builtins))
_BUILTIN_QUALS = {name: f"builtins.{name}" for name in _BUILTINS}
"""What `Model.qualify` makes of an unshadowed builtin's name (made once, not per call)."""
_UNASKED = object()
_CALL_CUES: dict[tuple[type, tuple[str, ...]], "Cues"] = {}


def memo(model: Model) -> dict[Any, Any]:
    """A scratch dict that lives as long as ``model`` (`Model.memo`): what several rules (or
    transitive analysis) derive from the same model is derived once and shared."""
    return model.memo


class Calls:
    """The calls among one source of nodes, grouped once per model and source in one pass,
    for every rule that looks for calls by method name or by qualified name.

    Most calls in handler code are `ctx.x(...)`, `self.x(...)` or calls of local names:
    a call is only qualified (`Model.call_target`) when the name its `a.b.c` chain starts
    with is imported or an unshadowed builtin, the only names `Model.qualify` resolves."""

    __slots__ = ("by_method", "resolved", "by_qual")

    def __init__(self, model: Model, nodes: NodeSource) -> None:
        self.by_method: dict[str, list[tuple[ast.Call, Function]]] = {}
        """Method name -> the calls `<expr>.<name>(...)`, in order."""
        self.resolved: list[tuple[ast.Call, Function, str]] = []
        """The calls whose target qualifies (`Model.call_target` is not None), with it, in order."""
        self.by_qual: dict[str, list[int]] = {}
        """Qualified name -> the positions of its calls in `resolved`."""
        by_method, resolved, by_qual = self.by_method, self.resolved, self.by_qual
        imported = model.imports.names
        shadowed = model.module_names
        call_target, is_local = model.call_target, model.is_local
        attribute, name = ast.Attribute, ast.Name
        for calls, fn in segments(model, nodes, ast.Call):
            builtin: dict[str, str | None] = {}
            for call in calls:
                head = call.func
                if type(head) is attribute:
                    bucket = by_method.get(head.attr)
                    if bucket is None:
                        by_method[head.attr] = [(call, fn)]
                    else:
                        bucket.append((call, fn))
                    head = head.value
                    while type(head) is attribute:
                        head = head.value
                elif type(head) is name and head.id not in imported:
                    # `len(x)`, `str(x)`: a builtin called by its name qualifies as `Model.qualify`
                    # says (unless the function or one around it binds the name), the same for
                    # every such call of the function: asked once per name and function.
                    ident = head.id
                    if ident not in _BUILTINS or ident in shadowed:
                        continue
                    qual = builtin.get(ident, _UNASKED)
                    if qual is _UNASKED:
                        qual = builtin[ident] = None if is_local(ident, fn) else _BUILTIN_QUALS[ident]
                    if qual is not None:
                        at = by_qual.get(qual)  # type: ignore[call-overload]
                        if at is None:
                            by_qual[qual] = [len(resolved)]  # type: ignore[index]
                        else:
                            at.append(len(resolved))
                        resolved.append((call, fn, qual))  # type: ignore[arg-type]
                    continue
                if type(head) is not name:
                    continue
                ident = head.id
                if ident not in imported and (ident not in _BUILTINS or ident in shadowed):
                    continue
                qual = call_target(call, fn)
                if qual is not None:
                    at = by_qual.get(qual)
                    if at is None:
                        by_qual[qual] = [len(resolved)]
                    else:
                        at.append(len(resolved))
                    resolved.append((call, fn, qual))

    def methods(self, names: Iterable[str]) -> Iterator[tuple[ast.Call, Function]]:
        """Calls `<expr>.<name>(...)` for these method names, name by name, each in order."""
        by_method = self.by_method
        found = [bucket for bucket in map(by_method.get, names) if bucket]
        if not found:
            return iter(())
        if len(found) == 1:
            return iter(found[0])
        return chain.from_iterable(found)


def segments(model: Model, nodes: NodeSource, *types: type) -> list[tuple[list[Any], Function]]:
    """``nodes(*types)`` a function at a time (`Model.handler_segments`): a model's own
    sources give their lists as they are; any other source (a transitive analysis's) is
    grouped here."""
    func = getattr(nodes, "__func__", None)
    if func is _HANDLER_NODES and nodes.__self__ is model:  # type: ignore[attr-defined]
        return model.handler_segments(*types)
    if func is _PLAIN_NODES and nodes.__self__ is model:  # type: ignore[attr-defined]
        return model.plain_segments(*types)
    found: list[tuple[list[Any], Function]] = []
    last: Function | None = None
    for node, fn in nodes(*types):
        if fn is not last or not found:
            found.append(([], fn))
            last = fn
        found[-1][0].append(node)
    return found


_HANDLER_NODES, _PLAIN_NODES = Model.handler_nodes, Model.plain_nodes


def calls(model: Model, nodes: NodeSource) -> Calls:
    """The `Calls` among ``nodes`` (`model.handler_nodes`, `model.plain_nodes`, or a
    transitive analysis's own source), made on first use."""
    key = getattr(nodes, "__func__", nodes)
    cache = memo(model)
    found = cache.get(key)
    if found is None:
        found = cache[key] = Calls(model, nodes)
    return found


def method_calls(model: Model, nodes: NodeSource, names: Iterable[str]) -> Iterator[tuple[ast.Call, Function]]:
    """Calls `<expr>.<name>(...)` among ``nodes`` for these method names, name by name, from the shared grouping (`Calls`)."""
    return calls(model, nodes).methods(names)


def resolved_calls(model: Model, nodes: NodeSource) -> list[tuple[ast.Call, Function, str]]:
    """The calls among ``nodes`` whose target qualifies, with it, in order, from the shared grouping (`Calls`). Do not modify."""
    return calls(model, nodes).resolved


def qualified_calls(model: Model, nodes: NodeSource) -> tuple[list[tuple[ast.Call, Function, str]], dict[str, list[int]]]:
    """`resolved_calls` and, per qualified name, the positions of its calls in that list: a
    rule looking for a few names looks them up instead of testing every call."""
    found = calls(model, nodes)
    return found.resolved, found.by_qual


def dot_prefixes(names: Iterable[str]) -> frozenset[str]:
    """`a`, `a.b`, `a.b.c` for `a.b.c`: what an import must bind for a name to resolve there."""
    return frozenset(name.rsplit(".", cut)[0] for name in names for cut in range(name.count(".") + 1))


class Cues:
    """The names through which code can reach some qualified names (or names under some
    prefixes), so that a rule can tell a module or a function that cannot call them.

    `Model.qualify` builds a qualified name from the name its chain starts with, and only
    from a name an import binds (`import time`, `from time import time as now`, an alias
    `now = time.time`) or an unshadowed builtin (`open`): code that uses none of the names
    `names` gives cannot qualify to any of these."""

    __slots__ = ("parents", "prefixes", "builtins")

    def __init__(self, quals: Iterable[str], prefixes: tuple[str, ...] = ()) -> None:
        quals = frozenset(quals)
        self.prefixes = prefixes
        """An import of a module under a prefix (`from random import randint`)."""
        self.parents = dot_prefixes(quals) | dot_prefixes(p.rstrip(".") for p in prefixes if p.rstrip("."))
        """An import of a name or of a module (or class) it lives in (`time`, `datetime.datetime`)."""
        self.builtins = frozenset(
            name for name in _BUILTINS
            if f"builtins.{name}" in self.parents or f"builtins.{name}".startswith(prefixes)
        )

    @staticmethod
    def union(*parts: "Cues") -> "Cues":
        """One `Cues` for several (made once per combination)."""
        found = _UNIONS.get(parts)
        if found is None:
            found = _UNIONS[parts] = _new(Cues)
            found.parents = frozenset().union(*(p.parents for p in parts))
            found.prefixes = tuple(dict.fromkeys(q for p in parts for q in p.prefixes))
            found.builtins = frozenset().union(*(p.builtins for p in parts))
        return found

    def names(self, model: Model) -> set[str]:
        """This module's names that may qualify to one of the names (over-approximated:
        a name bound by a function shadows it there, but is listed)."""
        parents, prefixes = self.parents, self.prefixes
        found = {local for local, qual in model.imports.names.items() if qual in parents or qual.startswith(prefixes)}
        if self.builtins:
            found.update(self.builtins - model.module_names)
        return found


_UNIONS: dict[tuple[Cues, ...], Cues] = {}
_new = object.__new__
_SAGA_IMPORTS = dot_prefixes(SAGA_CLASSES)
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
    cue_methods: ClassVar[frozenset[str]] = frozenset()
    """Method names whose calls `detect` may report whatever the names (see `cue_names`)."""
    needs: ClassVar[str | None] = "handler_code"
    """The `Model` list that must not be empty for the rule to report anything, so that the
    engine skips it without running it where that list is empty: "handler_code" (it reads
    handler code only, as `check` here does: a module of plain helpers or a bare `app`
    gets most rules skipped), "functions" (it reads defs or run calls, made only in defs),
    or None (always run). A rule that overrides `check` runs always unless it says."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "check" in vars(cls) and "needs" not in vars(cls):
            cls.needs = None  # its own `check` may read anything: it states its need itself

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def check(self, model: Model) -> Iterator[Finding]:
        for node, fn, subject in self.detect(model, model.handler_nodes):
            yield self.report(node, subject=subject, ctx=fn.context_name(), data=fn)

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        """The forbidden things among ``nodes`` (a rule that overrides `check` needs none)."""
        raise NotImplementedError

    def cue_names(self, model: Model) -> set[str] | None:
        """Names without which `detect` finds nothing: over any ``nodes``, it reports only if
        an `ast.Name` among them has one of these ids or an attribute among them is named in
        `cue_methods`. None: no such names (`detect` must always run). They are what
        `cues` gives for the module's imports and builtins, and `module_cues`.

        Transitive analysis reads them to leave out, without running the detectors, the
        helpers that cannot do what the rule forbids (most helpers handler code calls)."""
        cues = self.cues(model.config)
        if cues is None:
            return None
        found = cues.names(model)
        found.update(self.module_cues(model))
        return found

    def cues(self, config: ReaConfig) -> Cues | None:
        """The qualified names `detect` starts from (None: it may report without any)."""
        return None

    def module_cues(self, model: Model) -> Iterable[str]:
        """Names of this module, besides those `cues` gives, that `detect` may start from."""
        return ()

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

    def cues(self, config: ReaConfig) -> Cues | None:
        """Its targets, prefixes and `extra-calls` entries (None for a rule with its own
        `matches` or `detect`, unless it declares its cues itself)."""
        cls = type(self)
        if cls.matches.__func__ is not CallRule.matches.__func__ or cls.detect is not CallRule.detect:  # type: ignore[attr-defined]
            return None  # (a rule that looks further declares its own)
        return self.call_cues(config.extra_calls.get(self.code, ()))

    def call_cues(self, extra: Iterable[str] = ()) -> Cues:
        """`Cues` of the rule's targets, prefixes and ``extra`` names (made once per set)."""
        key = (type(self), tuple(extra))
        found = _CALL_CUES.get(key)
        if found is None:
            found = _CALL_CUES[key] = Cues(self.targets | frozenset(extra), self.prefixes)
        return found

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

