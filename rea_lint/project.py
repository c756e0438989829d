"""Transitive analysis: handler code calling project functions that do forbidden things.

the rule specification, "Transitive findings": where handler code calls a function of the linted project
that (directly or through further calls) does what REA101-103, REA105 or REA108-110 forbid
outside a run action, the diagnostic goes to the call site in the handler, with the chain:
`REA101 time-in-handler: via price_quote() -> _stamp() -> time.time(): ...`.

It runs in two steps, so that the expensive one can be cached per file:

1. `summarize(model, module)` reduces one module to a `ModuleSummary`: which of its
   functions directly do a forbidden thing, which functions (by qualified name) each one
   calls, and which calls handler code makes. It is built from the same `Model` the rules
   read, depends only on the file's text and the config, and is plain data
   (`to_dict`/`from_dict` for JSON, and it pickles).
2. `Project(summaries)` joins the summaries into one call graph and propagates once per
   run: a breadth-first search backwards from the functions that do each forbidden thing,
   so every chain is a shortest one and cycles terminate. The CLI's link leaves out the
   call sites that surely target no function of the linked set (`Linkable`: most sites are
   `restate.*` or library calls), worked out per run, so a cached summary keeps them all.

flake8 sees one file at a time: `check_tree` does step 1 and 2 on the module alone (the
same-module part). The CLI builds `Project.from_files(paths)` for the whole linted set and
passes `transitive=False` to `check_tree` so nothing is reported twice.

A constructor call of a class whose field has a `default_factory` runs that factory in the
caller: each such field is a node of the graph, reached from the calls that do not pass it
(`default_factories`, `CallSite.keywords`).

Functions that are handler code (they receive a context) are never followed: they report
in place. Calls through callbacks, `getattr` or methods of instances (`self.x()`) are not
followed. `[tool.rea] allow` globs (qualified names) exempt functions.
"""

from __future__ import annotations

import ast
import hashlib
import os
import warnings
from collections import deque
from functools import partial
from itertools import repeat
from operator import attrgetter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

from rea_lint.catalog import RULES
from rea_lint.config import DEFAULT, ReaConfig, _real_dir
from rea_lint.default_factories import factory_classes, factory_fields, field_node, passes
from rea_lint.findings import Finding
from rea_lint.model import Function, Model, build_model
from rea_lint.names import ImportMap, dotted
from rea_lint.spelled import Spelled

__all__ = [
    "TRANSITIVE_CODES",
    "CallSite",
    "FunctionSummary",
    "Linkable",
    "ModuleSummary",
    "Project",
    "module_name",
    "ModuleNames",
    "summarize",
    "summarize_source",
    "summary_data",
    "transitive_findings",
]

TRANSITIVE_CODES = ("REA101", "REA102", "REA103", "REA105", "REA108", "REA109", "REA110")
NodeSource = Callable[..., Iterator[tuple[ast.AST, Function]]]
KIND_CODE = "REA210"
"""handler-kind-call-mismatch: its target is resolved through the project like a chain."""
ACTION_CODE = "REA208"
"""action-called-not-passed: a run's action called in handler code, resolved the same way."""
PROJECT_CODES = (*TRANSITIVE_CODES, ACTION_CODE, KIND_CODE)
"""Every code the whole-project analysis reports."""
SUMMARY_VERSION = 6
"""Bump when the summary's shape or meaning changes (part of a cache key)."""
_UNKNOWN: Any = object()


class CallSite(NamedTuple):
    """A call that may reach a project function: the target, and how it reads (`_stamp()`).

    A named tuple: linking a project makes one of each summary's rows (tens of thousands),
    and a tuple is made from its row in one step (see `_site_from_list`)."""

    target: str
    text: str
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None
    ctx: str = "ctx"
    """The context name in scope (handler call sites only), for the message."""
    keywords: Any = None
    """For a call that may construct a class (its name is capitalized): the fields it passes,
    by keyword (`default_factories.passes`); None when it may pass any, or for another call."""


@dataclass(frozen=True)
class FunctionSummary:
    qualname: str
    """Module-qualified: `shop.pricing.price_quote`, `shop.pricing.Quote.total`."""
    effects: Mapping[str, str] = field(default_factory=dict)
    """Code -> the first forbidden call of that code in the body, as written (`time.time()`)."""
    calls: tuple[CallSite, ...] = ()


@dataclass(frozen=True)
class ModuleSummary:
    module: str
    path: str
    functions: Mapping[str, FunctionSummary] = field(default_factory=dict)
    """The module's non-handler functions, by qualified name."""
    handler_calls: tuple[CallSite, ...] = ()
    """Calls made by handler code (outside run actions) to anything that may be a project function."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Names the module imports (local name -> qualified name), to follow re-exports."""
    handlers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """The module's decorated handlers: qualified name -> (factory, service name)."""
    services: Mapping[str, str] = field(default_factory=dict)
    """Literal service names -> factory (`"counter"` -> `VirtualObject`)."""
    kind_calls: tuple[tuple[str, CallSite], ...] = ()
    """`ctx.*_call/*_send` in handler code: (method, site); the site's target is the handler
    passed (qualified), or `service:<name>` for a `generic_*` call without a key."""
    non_callables: Mapping[str, bool] = field(default_factory=dict)
    """Module-level functions whose call gives no callable: qualified name -> is `async`
    (with ``undecided``, only those known without walking a body: the `async` ones)."""
    undecided: tuple[str, ...] = ()
    """Module-level functions not yet asked whether their call gives a callable: hardly any
    run action calls another module's function, so the question waits for the link to ask
    it, which then analyses the module's text again (see `_NonCallables`)."""
    digest: str = ""
    """`text_digest` of the text summarized, when ``undecided`` is not empty: the link asks
    about the file only while it still holds that text."""
    action_calls: tuple[CallSite, ...] = ()
    """Run actions in handler code that are calls to another module's function."""
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Classes whose constructor runs a `default_factory` that matters: qualified name -> those
    fields, each a function of ``functions`` (`default_factories.field_node`)."""
    version: int = SUMMARY_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "module": self.module,
            "path": self.path,
            "aliases": dict(self.aliases),
            "handler_calls": [_site_to_list(s) for s in self.handler_calls],
            "handlers": {q: list(v) for q, v in self.handlers.items()},
            "services": dict(self.services),
            "kind_calls": [[m, _site_to_list(s)] for m, s in self.kind_calls],
            "non_callables": dict(self.non_callables),
            "undecided": list(self.undecided),
            "digest": self.digest,
            "action_calls": [_site_to_list(s) for s in self.action_calls],
            "functions": {
                q: {"effects": dict(f.effects), "calls": [_site_to_list(s) for s in f.calls]}
                for q, f in self.functions.items()
            },
            "classes": {q: list(fields) for q, fields in self.classes.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], linkable: "Linkable | None" = None) -> "ModuleSummary":
        """The summary ``to_dict`` wrote. With ``linkable`` (of the linked set),
        the call sites of handler code and functions whose target surely names no function
        of that set (`restate.Context.run`, `datetime.timedelta`: most of them) are left
        out: the project resolves them to nothing."""
        if data.get("version") != SUMMARY_VERSION:
            raise ValueError(f"summary version {data.get('version')!r}, expected {SUMMARY_VERSION}")
        site = _site_from_list
        return cls(
            module=data["module"],
            path=data["path"],
            aliases=dict(data["aliases"]),
            handler_calls=_sites(data["handler_calls"], linkable),
            handlers={q: (v[0], v[1]) for q, v in data["handlers"].items()},
            services=dict(data["services"]),
            kind_calls=tuple((m, site(s)) for m, s in data["kind_calls"]),
            non_callables=dict(data["non_callables"]),
            undecided=tuple(data["undecided"]),
            digest=data["digest"],
            action_calls=_sites(data["action_calls"]),
            functions={
                q: _function(q, dict(f["effects"]), _sites(f["calls"], linkable)) for q, f in data["functions"].items()
            },
            classes={q: tuple(fields) for q, fields in data["classes"].items()},
        )


def _site_to_list(s: CallSite) -> list[Any]:
    return list(s)


def _site_from_list(row: Sequence[Any]) -> CallSite:
    """`CallSite(*row)`, without the keyword handling of a named tuple's constructor."""
    if type(row) is not list or len(row) != 8:
        return CallSite(*row)
    return _tuple_new(CallSite, row)


def _sites(rows: Iterable[Sequence[Any]], linkable: "Linkable | None" = None) -> tuple[CallSite, ...]:
    """`_site_from_list` of each row (those ``linkable`` may link, if given); the rows of every
    summary have all eight fields, and then the sites are made in one C loop."""
    if linkable is not None:
        verdicts = linkable.verdicts
        rows = [row for row in rows if verdicts[row[0]]]
        if not rows:
            return ()
    sites = tuple(map(_new_site, rows))
    if set(map(len, sites)) <= _ALL_FIELDS:
        return sites
    return tuple(map(_site_from_list, rows))


_tuple_new = tuple.__new__
_new_site = partial(_tuple_new, CallSite)
_ALL_FIELDS = {len(CallSite._fields)}


def _function(qualname: str, effects: Mapping[str, str], calls: tuple[CallSite, ...]) -> FunctionSummary:
    """`FunctionSummary(qualname, effects, calls)`, filled in directly (see `_site_from_list`)."""
    fn = _new(FunctionSummary)
    d = fn.__dict__
    d["qualname"], d["effects"], d["calls"] = qualname, effects, calls
    return fn


_new = object.__new__


class Linkable:
    """Which call targets may resolve to a function of the linked set (`Project.resolve`):
    the link makes and resolves only their sites. A target surely resolves to nothing when

    - its first part is not the first part of a name a module of the set can be imported by
      from any of its roots: each file's stem, the directories above it (up to the first
      that is no identifier, as `_RootIndex` walks) and each module name's first part
      (relative imports resolve from it). Resolving starts by finding a module under such a
      name (by root, or by module name), so `restate.Context.run`, `datetime.timedelta`,
      most sites, resolve to nothing; or
    - its last part is neither the last part of a function of the set (`functions` of the
      summaries) nor a name some module imports (`aliases`): resolving changes the last part
      only when it follows an import of that very name (`from shop.clock import now as
      current`), so any other name stays what it is and matches no function.

    Computed per link from the summaries being linked, never stored: a cached summary keeps
    every site, and a module added later (say `restate.py`) counts in the run that links it."""

    __slots__ = ("heads", "lasts", "verdicts", "_dirs", "_absolute")

    def __init__(self, summaries: Iterable[Mapping[str, Any]] = ()) -> None:
        self.heads: set[str] = set()
        self.lasts: set[str] = set()
        self.verdicts = _Verdicts(self)
        """target -> `may_name(target)`, each target asked once (`verdicts[target]`)."""
        self._dirs: set[str] = set()
        self._absolute: dict[str, str] = {}
        for data in summaries:
            self.add(data)

    def add(self, data: Mapping[str, Any]) -> None:
        """Count in one summary, as `ModuleSummary.to_dict` writes it."""
        path, module, functions, aliases = data["path"], data["module"], data["functions"], data["aliases"]
        heads = self.heads
        heads.add(module.partition(".")[0])
        lasts = self.lasts
        for qual in functions:
            lasts.add(qual.rpartition(".")[2])
        lasts.update(aliases)
        directory, filename = _place(path, self._absolute)
        stem = filename[:-3] if filename.endswith(".py") else filename
        if stem != "__init__":
            heads.add(stem)
        dirs = self._dirs
        while directory not in dirs:  # (each directory once: its files share the walk up)
            dirs.add(directory)
            parent, name = os.path.split(directory)
            if parent == directory or not name.isidentifier():
                break
            heads.add(name)
            directory = parent

    def may_name(self, target: str) -> bool:
        """May ``target`` name a function of the linked set? (False: it surely does not.)"""
        head = target.partition(".")[0]
        if head not in self.heads and head.isidentifier():  # (a unique id `mod<1>` is no identifier)
            return False
        return target.rpartition(".")[2] in self.lasts


class _Verdicts(dict):
    """`Linkable.may_name` memoised: targets repeat (`restate.Context`, `datetime.timedelta`)."""

    __slots__ = ("linkable",)

    def __init__(self, linkable: Linkable) -> None:
        super().__init__()
        self.linkable = linkable

    def __missing__(self, target: str) -> bool:
        verdict = self[target] = self.linkable.may_name(target)
        return verdict


def _place(path: str, absolute: dict[str, str]) -> tuple[str, str]:
    """`os.path.split(os.path.abspath(path))`, each directory as spelled made absolute once
    (a run's thousands of files are in a few dozen directories)."""
    head, name = os.path.split(path)
    if name in ("", ".", ".."):
        return os.path.split(os.path.abspath(path))
    directory = absolute.get(head)
    if directory is None:
        directory = absolute[head] = os.path.abspath(head)
    return directory, name


# --- step 1: one module -----------------------------------------------------------------------


def module_name(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`, walking up while directories have `__init__.py`
    (and not above ``root``); `pkg/__init__.py` -> `pkg`."""
    p = Path(path).resolve()
    stop = Path(root).resolve() if root is not None else None
    parts = [] if p.stem == "__init__" else [p.stem]
    d = p.parent
    while d != stop and (d / "__init__.py").is_file() and d.parent != d:
        parts.insert(0, d.name)
        d = d.parent
    return ".".join(parts) or p.stem


def package_of(module: str, path: str | os.PathLike[str]) -> str:
    """The package relative imports start from (a package's `__init__` is its own package)."""
    if Path(path).stem == "__init__":
        return module
    return module.rpartition(".")[0]


class ModuleNames:
    """`module_name` and `package_of` for the many files of one run, whose directories do not
    change meanwhile: each directory is resolved, and its packages walked up, once; a file
    then costs one `lstat` (is it a symlink? then it is resolved alone, as `module_name` does)
    instead of a `realpath` of every component and a walk. Make one per run: a directory
    that gains an `__init__.py` later is not seen by an old one."""

    def __init__(self) -> None:
        self._real: dict[str, str] = {}
        self._packages: dict[str, tuple[str, ...]] = {}

    def of(self, path: str) -> tuple[str, str]:
        """(module name, package relative imports start from) of the file at ``path``."""
        head, name = os.path.split(path)
        if name in ("", ".", "..") or os.path.islink(path):
            module = module_name(path)
            return module, package_of(module, path)
        stem = _stem(name)
        real = self._real.get(head)
        if real is None:  # (`config._real_dir`: the configuration lookup resolved it already)
            real = self._real[head] = _real_dir(head if os.path.isabs(head) else os.path.join(os.getcwd(), head))
        packages = self._packages.get(real)
        if packages is None:
            packages = self._packages[real] = self._walk_up(real)
        if stem == "__init__":
            module = ".".join(packages) or stem
            return module, module
        module = ".".join((*packages, stem))
        return module, module.rpartition(".")[0]  # (package_of's answer, a dotted stem too)

    def _walk_up(self, directory: str) -> tuple[str, ...]:
        """The packages `directory` is inside, outermost first (module_name's walk, memoised)."""
        parent = os.path.dirname(directory)
        if parent == directory or not os.path.isfile(os.path.join(directory, "__init__.py")):
            return ()
        outer = self._packages.get(parent)
        if outer is None:
            outer = self._packages[parent] = self._walk_up(parent)
        return (*outer, os.path.basename(directory))


def _stem(name: str) -> str:
    """`PurePath(name).stem`, without building a path."""
    i = name.rfind(".")
    return name[:i] if 0 < i < len(name) - 1 else name


def summarize(
    model: Model,
    module: str,
    path: str = "",
    only: Sequence[Function] | None = None,
    nodes: NodeSource | None = None,
    resolver: "_Resolver | None" = None,
) -> ModuleSummary:
    """Reduce a module's model to what transitive analysis needs (see the module doc).

    ``only``/``nodes`` restrict it to some functions and their indexed code (the flake8 path
    summarizes just what its handlers can reach, and hands over the ``resolver`` it used to
    find them, so no call is resolved twice)."""
    return ModuleSummary.from_dict(summary_data(model, module, path, only, nodes, resolver))


def summary_data(
    model: Model,
    module: str,
    path: str = "",
    only: Sequence[Function] | None = None,
    nodes: NodeSource | None = None,
    resolver: "_Resolver | None" = None,
    text: str | None = None,
) -> dict[str, Any]:
    """`summarize(...).to_dict()`, built as that from the start: the CLI stores and links
    every file's summary in this shape, and a module has dozens of call sites (most of them
    handler code calling imported names) not worth a frozen dataclass each on the way.

    With the module's ``text``, as the file at ``path`` holds it and its tree was parsed
    from, which of its functions give no callable is left for the link to ask (`undecided`,
    `digest`).

    Every helper is walked. (Reading the helpers' text first to pass over those that spell
    no name a detector or a link starts from, as the flake8 path does, cost more than it
    saved once walking got cheap: nearly every helper calls something and is walked anyway,
    and splitting each module's text into lines and helpers is not free. Without it a cold
    `rea check` took 2% less CPU on real Restate code and 8% less on the standard library.)"""
    from rea_lint.rules import all_checkers  # the rules import this package's siblings
    from rea_lint.rules.base import segments

    if resolver is None:
        resolver = _Resolver(model, module)
    functions: dict[str, list[Any]] = {}
    """Qualified name -> [effects, calls by target]: a redefined function shares its entry."""
    plain = list(only) if only is not None else [fn for fn in model.functions if not fn.is_handler_code]
    source: NodeSource = nodes if nodes is not None else model.plain_nodes
    by_fn: dict[int, list[Any]] = {}
    """id(function) -> its entry in ``functions`` (no qualified name built per call)."""
    prefix = module + "."
    for fn in plain:
        key = prefix + fn.qualname
        entry = functions.get(key)
        if entry is None:
            entry = functions[key] = [{}, {}]
        by_fn[id(fn)] = entry
    if plain:
        checkers = all_checkers()
        first: dict[tuple[int, str], tuple[int, int]] = {}
        """(id(effects), code) -> the position of the detection that names it."""
        for code in TRANSITIVE_CODES:
            checker = checkers.get(code)
            if checker is None:
                continue
            for node, fn, subject in checker.detect(model, source):
                # the function's first such thing in the source names the effect (a detector
                # yields by kind, and some kinds in an order that varies from run to run)
                effects = by_fn[id(fn)][0]
                at = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
                kept = first.get((id(effects), code))
                if kept is None or at < kept:
                    first[(id(effects), code)] = at
                    effects[code] = subject
        for call, fn, target in resolver.calls(segments(model, source, ast.Call)):
            calls = by_fn[id(fn)][1]
            if target not in calls:  # the first call of each target is the one kept
                calls[target] = _site(call, target, "ctx")
            elif target.rpartition(".")[2][:1].isupper():  # a constructor: once per set of fields passed
                row = _site(call, target, "ctx")
                variant = (target, None if row[7] is None else tuple(row[7]))
                if variant not in calls:
                    calls[variant] = row
    handler_calls = []
    unrun = coroutine_actions(model)
    last: Function | None = None
    ctx = "ctx"
    for call, fn, target in resolver.calls(model.handler_segments(ast.Call)):
        if unrun and id(call) in unrun:
            continue
        if fn is not last:  # (its context name, asked once per function)
            last, ctx = fn, fn.context_name()
        handler_calls.append(_site(call, target, ctx))
    handlers, services, kind_calls = _kind_facts(model, module, resolver)
    classes, made = _factory_facts(model, prefix, resolver)
    undecided: list[str] = []
    if only is not None:
        non_callables: dict[str, bool] = {}
        action_calls: list[list[Any]] = []
    elif text is not None:
        non_callables, undecided = _async_functions(model, module)
        action_calls = _action_calls(model, module, resolver)
    else:
        non_callables, action_calls = _action_facts(model, module, resolver)
    return {
        "version": SUMMARY_VERSION,
        "module": module,
        "path": path,
        "aliases": {k: v for k, v in model.imports.names.items() if k != v},
        "handler_calls": handler_calls,
        "handlers": handlers,
        "services": services,
        "kind_calls": kind_calls,
        "non_callables": non_callables,
        "undecided": undecided,
        "digest": text_digest(text) if undecided and text is not None else "",
        "action_calls": action_calls,
        "functions": {
            q: {"effects": effects, "calls": list(calls.values())}
            for q, (effects, calls) in functions.items()
            if effects or calls
        } | made,
        "classes": classes,
    }


def _factory_facts(model: Model, prefix: str, resolver: "_Resolver") -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The module's classes whose constructor runs a `default_factory` that matters
    (`default_factories`): class -> those fields, and the call-graph entries of the class (no
    effects, no calls: a call resolves to it) and of each such field."""
    if not factory_classes(model):  # (most modules: nothing to look at)
        return {}, {}
    from rea_lint.rules import all_checkers

    classes: dict[str, list[str]] = {}
    made: dict[str, Any] = {}
    target = resolver.target
    found = factory_fields(model, lambda func: target(func, None), all_checkers(), TRANSITIVE_CODES)  # type: ignore[arg-type]
    for name, fields in found.items():
        qual = prefix + name
        classes[qual] = list(fields)
        made[qual] = {"effects": {}, "calls": []}
        for field, (effects, calls) in fields.items():
            made[field_node(qual, field)] = {"effects": effects, "calls": [_site(c, t, "ctx") for c, t in calls]}
    return classes, made


def _site(call: ast.Call, target: str, ctx: str) -> list[Any]:
    """A call site as `to_dict` writes a `CallSite`: target, the call as written, position,
    context name, and for a call that may construct a class the fields it passes."""
    func = call.func
    if type(func) is ast.Name:
        name = func.id
        text = f"{name}()"
    else:
        name = func.attr if type(func) is ast.Attribute else ""
        text = f"{dotted(func)}()"
    keywords = passes(call) if name[:1].isupper() else None
    return [target, text, call.lineno, call.col_offset, call.end_lineno, call.end_col_offset, ctx, keywords]


def _kind_facts(model: Model, module: str, resolver: "_Resolver") -> tuple[dict[str, list[str]], dict[str, str], list[list[Any]]]:
    """What REA210 needs of a module: its handlers, its literal service names, and the
    calls its handler code makes through `ctx.*_call/*_send` (targets qualified), as
    `to_dict` writes them."""
    from rea_lint.rules.rea210_handler_kind_call_mismatch import handler_service, kind_calls, literal_services

    handlers = {}
    if model.service_objects:
        for fn in model.module_functions.values():
            if fn.handler is not None:
                found = handler_service(model, fn)
                if found is not None:
                    handlers[f"{module}.{fn.qualname}"] = list(found)
    calls = []
    for kc in kind_calls(model):
        target = f"service:{kc.service}" if kc.service is not None else resolver.target(kc.target, kc.function)  # type: ignore[arg-type]
        if target is None:
            continue
        c = kc.call
        if kc.target is None:
            text = repr(kc.service)
        else:  # a Name/Attribute chain reads as its dotted text (`ast.unparse` is slower)
            text = dotted(kc.target) or ast.unparse(kc.target)
        calls.append([kc.method, [target, text, c.lineno, c.col_offset, c.end_lineno, c.end_col_offset, kc.ctx]])
    calls.sort(key=lambda mc: (mc[1][2], mc[1][3]))
    return handlers, literal_services(model), calls


def _action_facts(model: Model, module: str, resolver: "_Resolver") -> tuple[dict[str, bool], list[list[Any]]]:
    """What REA208 needs across modules: which of this module's functions give no callable,
    and which run actions of its handler code call another module's function (as `to_dict`
    writes them)."""
    return find_non_callables(model, module), _action_calls(model, module, resolver)


def find_non_callables(model: Model, module: str, only: "set[str] | None" = None) -> dict[str, bool]:
    """The module's module-level functions (those qualified names in ``only``) whose call
    gives no callable: qualified name -> is `async`."""
    from rea_lint.rules.rea208_action_called_not_passed import returns_no_callable

    out = {}
    for fn in model.module_functions.values():
        key = f"{module}.{fn.qualname}"
        if (only is None or key in only) and returns_no_callable(model, fn):
            out[key] = fn.is_async
    return out


def _async_functions(model: Model, module: str) -> tuple[dict[str, bool], list[str]]:
    """`non_callables` without walking a body: the `async` module-level functions (whose
    call gives a coroutine), and the others' qualified names, undecided."""
    known: dict[str, bool] = {}
    undecided = []
    for fn in model.module_functions.values():
        key = f"{module}.{fn.qualname}"
        if fn.is_async:
            known[key] = True
        else:
            undecided.append(key)
    return known, undecided


def text_digest(text: str) -> str:
    """What identifies a module's text (`ModuleSummary.digest`)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def _action_calls(model: Model, module: str, resolver: "_Resolver") -> list[list[Any]]:
    """The run actions of the module's handler code that call another module's function."""
    from rea_lint.model import source_text
    from rea_lint.rules.rea208_action_called_not_passed import action_arguments

    calls = []
    own = module + "."
    for action, fn in action_arguments(model):
        if not isinstance(action, ast.Call):
            continue
        target = resolver.target(action.func, fn)
        if target is None or target.startswith(own):
            continue  # not a project function, or one of this module (the rule reports those)
        calls.append([target, source_text(action), action.lineno, action.col_offset,
                      action.end_lineno, action.end_col_offset, fn.context_name()])
    calls.sort(key=lambda c: (c[2], c[3]))
    return calls


class _NonCallables(Mapping[str, bool]):
    """The project's module-level functions whose call gives no callable (qualified name ->
    is `async`), as the summaries' `non_callables` merged, with each summary's `undecided`
    functions decided on first lookup: the defining module's file is read, and analysed
    again, if it still holds the text summarized (else they count as giving a callable:
    nothing is reported from a text rea did not see)."""

    def __init__(self, summaries: Iterable[ModuleSummary], config: ReaConfig) -> None:
        self.config = config
        self._known: dict[str, bool] = {}
        self._pending: dict[str, ModuleSummary] = {}
        """Undecided qualified name -> the summary it is undecided in."""
        for s in summaries:
            self._known.update(s.non_callables)
            for qual in s.undecided:
                self._pending[qual] = s
        self.reanalysed: list[str] = []
        """The paths analysed again, in order (what laziness saved is what is not here)."""

    def __contains__(self, key: object) -> bool:
        if key in self._known:
            return True
        if key in self._pending:
            self._decide(self._pending[key])
            return key in self._known
        return False

    def __getitem__(self, key: str) -> bool:
        if key not in self:
            raise KeyError(key)
        return self._known[key]

    def __iter__(self) -> Iterator[str]:
        for summary in {id(s): s for s in self._pending.values()}.values():
            self._decide(summary)
        return iter(self._known)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _decide(self, summary: ModuleSummary) -> None:
        """Decide every undecided function of ``summary``'s module (one parse for all)."""
        quals = set(summary.undecided)
        for qual in quals:
            self._pending.pop(qual, None)
        self.reanalysed.append(summary.path)
        tree = _tree_of(summary)
        if tree is None:
            return
        try:
            model = build_model(tree, self.config, ImportMap.from_tree(tree, package_of(summary.module, summary.path)))
            self._known.update(find_non_callables(model, summary.module, quals))
        except RecursionError:
            return


def _tree_of(summary: ModuleSummary) -> ast.Module | None:
    """The tree of the text ``summary`` was made from, read again from its file; None if
    the file no longer holds that text (or cannot be read)."""
    from rea_lint.runner import decode

    try:
        with open(summary.path, "rb") as f:
            text = decode(f.read())
        if text_digest(text) != summary.digest:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the check reported nothing of them either)
            return ast.parse(text, filename=summary.path)
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError, ValueError, RecursionError, MemoryError):
        return None


def coroutine_actions(model: Model) -> set[int]:
    """ids of the calls handed to a run as its action that only make a coroutine (a call to an
    `async def` of this module): the callee's body does not run there, so no transitive
    finding comes from it; REA208 reports the call instead (the rule specification, Readings)."""
    from rea_lint.rules.rea208_action_called_not_passed import action_arguments, resolve_local_function

    out: set[int] = set()
    for action, fn in action_arguments(model):
        if isinstance(action, ast.Call):
            callee = resolve_local_function(model, action.func, fn)
            if callee is not None and callee.is_async:
                out.add(id(action))
    return out


def summarize_source(
    source: str, path: str = "<string>", module: str | None = None, config: ReaConfig = DEFAULT
) -> ModuleSummary:
    """Parse and summarize one file (what a cache stores per content hash)."""
    module = module if module is not None else module_name(path)
    tree = ast.parse(source, filename=path)
    model = build_model(tree, config, ImportMap.from_tree(tree, package_of(module, path)))
    return summarize(model, module, path)


class _Resolver:
    """The qualified name a call may target, if it may be a project function."""

    def __init__(self, model: Model, module: str) -> None:
        self.m = model
        self.module = module
        self._targets: dict[int, str | None] = {}
        """id(call.func) -> target: a call belongs to one function, and both the flake8 path
        and `summarize` ask about the same calls."""
        self._names: set[str] | None = None
        self._classes: set[str] = set()
        """Module-level names that are neither imported nor assigned: classes (`Quote.total()`)."""

    def calls(self, segments: Iterable[tuple[list[Any], Function]]) -> Iterator[tuple[ast.Call, Function, str]]:
        """(call, function, target) for the calls among ``segments`` (calls of one function,
        that function: `Model.handler_segments`, as the rules' pass grouped them already)
        that may reach a project function (`target`, its cache read inline: this runs for
        every call of the module).

        Calls `_target` answers None for without looking at scopes are skipped first: a
        called name that is neither a function's name nor imported (`len(x)`), an attribute
        chain that does not start at an imported name or a module-level class (`ctx.get()`,
        `items.append()`, `self.x()`). An attribute chain from an imported name targets what
        the model qualifies it to (`Model.call_target`, which the rules asked already)."""
        names, classes = self.heads()
        imported = self.m.imports.names
        name, attribute = ast.Name, ast.Attribute
        cache, compute, call_target = self._targets, self._target, self.m.call_target
        for calls, fn in segments:
            for call in calls:
                func = call.func
                kind = type(func)
                if kind is name:
                    if func.id not in names:
                        continue
                elif kind is attribute:
                    head = func.value
                    while type(head) is attribute:
                        head = head.value
                    if type(head) is not name:
                        continue
                    if head.id in imported:  # `_target`'s answer: the qualified name, unless local or a builtin
                        target = call_target(call, fn)
                        if target is not None and not target.startswith("builtins."):
                            yield call, fn, target
                        continue
                    if head.id not in classes:
                        continue
                else:
                    continue
                target = cache.get(id(func), _UNKNOWN)
                if target is _UNKNOWN:
                    target = cache[id(func)] = compute(func, fn)
                if target is not None:
                    yield call, fn, target

    def heads(self) -> tuple[set[str], set[str]]:
        """The names a call `calls` follows may start with: a called name (a function's or an
        import's), and, besides imports, the head of an attribute chain (a module-level class)."""
        if self._names is None:
            m = self.m
            self._names = {fn.name for fn in m.functions} | m.imports.names.keys() | factory_classes(m).keys()
            self._classes = m.module_names - m.module_values.keys() - m.imports.names.keys()
        return self._names, self._classes

    def target(self, func: ast.expr, fn: Function) -> str | None:
        key = id(func)
        target = self._targets.get(key, _UNKNOWN)  # (a miss is the common case: no try/except)
        if target is _UNKNOWN:
            target = self._targets[key] = self._target(func, fn)
        return target

    def _target(self, func: ast.expr, fn: Function) -> str | None:
        if isinstance(func, ast.Name):
            name = func.id
            scope: Function | None = fn
            while scope is not None:
                child = scope.children.get(name)
                if child is not None:
                    return f"{self.module}.{child.qualname}"
                if name in scope.local_names:
                    return None  # a parameter or local variable: a callback, not followed
                scope = scope.parent
            if name in self.m.module_functions:
                return f"{self.module}.{name}"
            qual = self.m.imports.names.get(name)
            if qual is None:  # a class of the module whose constructor runs a default_factory
                return f"{self.module}.{name}" if name in factory_classes(self.m) else None
            return qual if not qual.startswith("builtins.") else None
        if isinstance(func, ast.Attribute):
            base = func.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if not isinstance(base, ast.Name):
                return None  # `make()()`, `x[0]()`: dynamic
            head = base.id
            local: Function | None = fn
            while local is not None:  # `Model.is_local`, inlined: most calls are `ctx.x()`
                if head in local.local_names:
                    return None  # a method of a value: dynamic dispatch
                local = local.parent
            if head in self.m.imports.names:
                qual = self.m.imports.resolve(func)
                return qual if qual and not qual.startswith("builtins.") else None
            if head in self.m.module_names and head not in self.m.module_values:
                return f"{self.module}.{dotted(func)}"  # `Quote.total()`: a class's function
        return None


# --- step 2: the project ----------------------------------------------------------------------


class Project:
    """The linted set's summaries joined into one call graph; `findings()` propagates once.

    Import resolution follows Python and pyright, per importing file: a qualified name is
    looked up under the file's import roots, in order: the directory its package starts
    in, its own directory (a script's `sys.path[0]`), `[tool.rea] src`, then each ancestor
    directory and its `src/`. The first root that has the module wins, so two projects that
    each have a `utils` module each get their own, and a monorepo gives the same chains
    whether rea starts at a service's directory or at the root. Packages without
    `__init__.py` (namespace packages) resolve the same way.
    """

    def __init__(self, summaries: Iterable[ModuleSummary], config: ReaConfig = DEFAULT) -> None:
        self.config = config
        listed = list(summaries)
        self.modules: dict[str, ModuleSummary] = {}
        for s in listed:
            self.modules[s.module] = s
        names = [s.module for s in listed]
        dupes: set[str] = set()
        if len(set(names)) != len(names):  # (counted in one pass: `list.count` per name is quadratic)
            counts: dict[str, int] = {}
            for m in names:
                counts[m] = counts.get(m, 0) + 1
            dupes = {m for m, n in counts.items() if n > 1}
        self._uid: dict[int, str] = {}
        """id(summary) -> its unique module id (the module name, unless two files share it)."""
        self.functions: dict[str, FunctionSummary] = {}
        self._owner: dict[str, ModuleSummary] = {}
        self._original: dict[str, str] = {}
        """unique function id -> its qualified name as written (for `allow` globs)."""
        self._fields: dict[str, tuple[tuple[str, str], ...]] = {}
        """A class whose constructor runs a default_factory that matters -> (field, its function)."""
        self._labels: dict[str, str] = {}
        """Such a field's function -> how a chain names it (`default_factory of Order.id`)."""
        for i, s in enumerate(listed):
            uid = f"{s.module}<{i}>" if s.module in dupes else s.module
            self._uid[id(s)] = uid
            for qual, fn in s.functions.items():
                key = _unique(qual, s.module, uid)
                self.functions[key] = fn
                self._owner[key] = s
                self._original[key] = qual
            for qual, fields in s.classes.items():
                key = _unique(qual, s.module, uid)
                made = self._fields[key] = tuple((f, field_node(key, f)) for f in fields)
                for f, node in made:
                    self._labels[node] = f"default_factory of {qual.rpartition('.')[2]}.{f}"
        self._index = _RootIndex(listed)
        self._src = _src_roots(config)
        self.handlers: dict[str, tuple[str, str]] = {}
        services: dict[str, set[str]] = {}
        for s in self.modules.values():
            self.handlers.update(s.handlers)
            for name, factory in s.services.items():
                services.setdefault(name, set()).add(factory)
        self.services = {name: next(iter(f)) for name, f in services.items() if len(f) == 1}
        """Literal service name -> factory, where the project agrees on one."""
        self.non_callables = _NonCallables(self.modules.values(), config)
        self._chains: dict[str, dict[str, tuple[str | None, str]]] | None = None
        self._resolved: dict[tuple[int, str], str | None] = {}
        self._found: dict[tuple[int, str], tuple[ModuleSummary, str] | None] = {}
        """(id of a roots list, target) -> `_by_roots`'s answer."""
        self._wanted: dict[frozenset[str], list[str]] = {}
        """enabled codes -> the transitive ones among them, in catalog order."""
        self._heads: dict[str, list[tuple[str, str]]] = {}
        """target -> (module name, rest) for each prefix some root has a module of."""

    @classmethod
    def from_files(
        cls,
        files: Iterable[str | os.PathLike[str]],
        config: ReaConfig = DEFAULT,
        root: str | os.PathLike[str] | None = None,
    ) -> "Project":
        """Summarize every file (files that do not parse are skipped: flake8 reports them)."""
        summaries = []
        for f in files:
            path = str(f)
            try:
                source = Path(path).read_text(encoding="utf-8")
                summaries.append(summarize_source(source, path, module_name(path, root), config))
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
                continue
        return cls(summaries, config)

    # the graph --------------------------------------------------------------------------

    def resolve(self, target: str, importer: ModuleSummary | None = None) -> str | None:
        """The project function a qualified name denotes when ``importer`` names it,
        following re-exports (`from shop.pricing import quote` in `shop/__init__.py`, then
        `shop.quote`)."""
        key = (id(importer), target)
        found = self._resolved.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._resolved[key] = self._resolve(target, importer)
        return found

    def _resolve(self, target: str, importer: ModuleSummary | None) -> str | None:
        for _ in range(8):
            if importer is not None:
                own = importer.module
                if target == own or target.startswith(own + "."):
                    local = self._uid[id(importer)] + target[len(own):]
                    if local in self.functions:
                        return local
                found = self._by_roots(target, importer)
                if found is not None:
                    module, rest = found
                    uid = self._uid[id(module)]
                    candidate = f"{uid}.{rest}" if rest else uid
                    if candidate in self.functions:
                        return candidate
                    head, _, tail = rest.partition(".")
                    alias = module.aliases.get(head) if head else None
                    if alias is None:
                        return None
                    hop = f"{alias}.{tail}" if tail else alias
                    if hop == target and module is importer:
                        return None
                    target, importer = hop, module
                    continue
            return self._resolve_by_name(target)
        return None

    def _by_roots(self, target: str, importer: ModuleSummary) -> tuple[ModuleSummary, str] | None:
        """The module (and the rest of the name) ``target`` names from ``importer``'s roots:
        the first root, then the longest module name, that the index has.

        A relative name (`.steps.pay`: a relative import in a module outside any package,
        `ImportMap`) is looked up from the importer's own directory, or the one its dots
        climb to, alone: Python's only root for it when it runs the directory as a package."""
        if target.startswith("."):
            here, rest = relative_import(target, self._index.directory(importer))
            return self._first_at([here], rest) if rest else None
        roots = self._index.roots(importer, self._src)
        key = (id(roots), target)  # (files of one directory share their roots list)
        found = self._found.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._found[key] = self._first_at(roots, target)
        return found

    def _first_at(self, roots: Sequence[str], target: str) -> tuple[ModuleSummary, str] | None:
        heads = self._heads.get(target)
        if heads is None:  # the prefixes of the name that are a module at some root, longest first
            parts = target.split(".")
            names = self._index.names
            heads = self._heads[target] = [
                (head, ".".join(parts[cut:]))
                for cut in range(len(parts), 0, -1)
                if (head := ".".join(parts[:cut])) in names
            ]
        if not heads:  # not a project module's name (`time.sleep`, `ctx.run`): no root has it
            return None
        for root in roots:
            for head, rest in heads:
                module = self._index.get(root, head)
                if module is not None:
                    return module, rest
        return None

    def _resolve_by_name(self, target: str, table: Mapping[str, Any] | None = None) -> str | None:
        """Without a file to resolve from (or when no root has the module): by module name."""
        table = self.functions if table is None else table
        for _ in range(8):
            if target in table:
                return target
            module, _, rest = target, "", ""
            hop = None
            while "." in module:
                module, _, last = module.rpartition(".")
                rest = f"{last}.{rest}" if rest else last
                summary = self.modules.get(module)
                if summary is not None:
                    head, _, tail = rest.partition(".")
                    alias = summary.aliases.get(head)
                    if alias is not None:
                        hop = f"{alias}.{tail}" if tail else alias
                    break
            if hop is None or hop == target:
                return None
            target = hop
        return None

    def chains(self) -> dict[str, dict[str, tuple[str | None, str]]]:
        """code -> function -> (the next function on its shortest chain, or None at the end;
        the call as written there). Computed once."""
        if self._chains is not None:
            return self._chains
        allowed = self._allowed()
        fields = self._fields
        callers: dict[str, list[tuple[str, str]]] = {}
        for qual, fn in self.functions.items():
            if qual in allowed:
                continue
            seen: set[str] = set()
            owner = self._owner.get(qual)
            for site in fn.calls:
                callee = self.resolve(site.target, owner)
                if callee is not None and callee != qual and callee not in seen:
                    if fields and callee in fields:  # a constructor: the factories of the fields it leaves out
                        for node in _omitted(site, fields[callee]):
                            if node not in seen:
                                seen.add(node)
                                callers.setdefault(node, []).append((qual, site.text))
                        continue
                    seen.add(callee)
                    callers.setdefault(callee, []).append((qual, site.text))
        sources: dict[str, dict[str, tuple[str | None, str]]] = {code: {} for code in TRANSITIVE_CODES}
        for qual, fn in self.functions.items():  # (one pass: most functions do nothing forbidden)
            if fn.effects and qual not in allowed:
                for code, subject in fn.effects.items():
                    chain = sources.get(code)
                    if chain is not None:
                        chain[qual] = (None, subject)
        out: dict[str, dict[str, tuple[str | None, str]]] = {}
        for code in TRANSITIVE_CODES:
            chain = sources[code]
            queue: deque[str] = deque(chain)
            while queue:
                callee = queue.popleft()
                for caller, text in callers.get(callee, ()):
                    if caller not in chain:
                        chain[caller] = (callee, text)
                        queue.append(caller)
            out[code] = chain
        self._chains = out
        return out

    def _allowed(self) -> set[str]:
        if not self.config.allow:
            return set()
        return {q for q in self.functions if self.config.is_allowed(self._original.get(q, q))}

    def via(self, code: str, site: CallSite, importer: ModuleSummary | None = None) -> list[str] | None:
        """The chain from a handler call site to the forbidden call, as written, or None."""
        callee = self.resolve(site.target, importer)
        chain = self.chains()[code]
        if callee is not None and callee in self._fields:
            callee = next((node for node in _omitted(site, self._fields[callee]) if node in chain), None)
        if callee is None or callee not in chain:
            return None
        parts = [site.text]
        seen = {callee}
        labels = self._labels
        while True:
            if labels and callee in labels:
                parts.append(labels[callee])
            nxt, text = chain[callee]
            if nxt is None:
                parts.append(text)
                return parts
            parts.append(text)
            if nxt in seen:  # pragma: no cover - a BFS tree has no cycles
                return parts
            seen.add(nxt)
            callee = nxt

    # findings ---------------------------------------------------------------------------

    def kind_findings(self, summary: ModuleSummary) -> list[Finding]:
        """REA210 for the module's `ctx.*_call/*_send` whose target handler the project knows."""
        if not summary.kind_calls:  # (most modules: no import statement run for them)
            return []
        from rea_lint.rules.rea210_handler_kind_call_mismatch import mismatch, subject

        out: list[Finding] = []
        for method, site in summary.kind_calls:
            if site.target.startswith("service:"):
                service = site.target[len("service:"):]
                factory = self.services.get(service)
                if factory is None or not mismatch(method, factory):
                    continue
                text = f"`{site.ctx}.{method}({service!r}, ...)` without `key=` on {factory} `{service}`,"
            else:
                handler = self._resolve_by_name(site.target, self.handlers)
                if handler is None:
                    continue
                factory, service = self.handlers[handler]
                if not mismatch(method, factory):
                    continue
                text = subject(site.ctx, method, site.text, factory, service)
            out.append(
                Finding(site.line, site.col, KIND_CODE, RULES[KIND_CODE].render(subject=text, ctx=site.ctx),
                        site.end_line, site.end_col)
            )
        return out

    def _coroutine(self, target: str) -> bool:
        """Is ``target`` a project `async def` (calling it runs nothing)?"""
        found = self._resolve_by_name(target, self.non_callables)
        return found is not None and self.non_callables[found]

    def action_findings(self, summary: ModuleSummary) -> list[Finding]:
        """REA208 for run actions that call another module's function that gives no callable."""
        out = []
        for site in summary.action_calls:
            if self._resolve_by_name(site.target, self.non_callables) is not None:
                out.append(Finding(site.line, site.col, ACTION_CODE,
                                   RULES[ACTION_CODE].render(subject=site.text, ctx=site.ctx), site.end_line, site.end_col))
        return out

    def findings_for(self, summary: ModuleSummary, codes: Iterable[str] | None = None) -> list[Finding]:
        enabled = frozenset(codes) if codes is not None else self.config.enabled_codes()
        wanted = self._wanted.get(enabled)
        if wanted is None:  # (a link asks with the same codes for every module)
            wanted = self._wanted[enabled] = [c for c in TRANSITIVE_CODES if c in enabled]
        out: list[Finding] = self.kind_findings(summary) if KIND_CODE in enabled else []
        if ACTION_CODE in enabled:
            out.extend(self.action_findings(summary))
        if not wanted:
            out.sort()
            return out
        # calling an `async def` of another module as a run's action runs nothing there
        unrun = {(s.line, s.col) for s in summary.action_calls if self._coroutine(s.target)}
        chains = self.chains()
        for site in summary.handler_calls:
            if unrun and (site.line, site.col) in unrun:
                continue
            callee = self.resolve(site.target, summary)
            if callee is None:
                continue
            constructor = bool(self._fields) and callee in self._fields  # (`via` finds the fields it leaves out)
            for code in wanted:
                if not constructor and callee not in chains[code]:
                    continue
                parts = self.via(code, site, summary)
                if parts is None:
                    continue
                out.append(
                    Finding(
                        line=site.line,
                        col=site.col,
                        code=code,
                        message=RULES[code].render(ctx=site.ctx, via=" -> ".join(parts)),
                        end_line=site.end_line,
                        end_col=site.end_col,
                        data={"via": tuple(parts), "transitive": True},
                    )
                )
        out.sort()
        return out

    def findings(self, codes: Iterable[str] | None = None) -> dict[str, list[Finding]]:
        """path -> transitive findings, for every module of the project that has some."""
        out: dict[str, list[Finding]] = {}
        for summary in self._index.summaries:
            found = self.findings_for(summary, codes)
            if found:
                out[summary.path] = found
        return out


def _unique(qual: str, module: str, uid: str) -> str:
    """A function's id in the project: its qualified name, under the module's unique id when two
    files share the module's name (`shop.clock<3>.now`)."""
    return uid + qual[len(module):] if uid != module and qual.startswith(module) else qual


def _omitted(site: CallSite, fields: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The functions of the fields a constructor call leaves to their factories (none when it
    may pass any: positional arguments, `**kwargs`)."""
    passed = site.keywords
    if passed is None:
        return ()
    return tuple(node for field, node in fields if field not in passed)


class _RootIndex:
    """(root directory, dotted module name) -> the summary of that file, for every root a
    file can be imported from (each ancestor directory, while the names are identifiers)."""

    def __init__(self, summaries: Sequence[ModuleSummary]) -> None:
        self.summaries = list(summaries)
        self._at: dict[tuple[str, str], ModuleSummary] = {}
        self.names: set[str] = set()
        """Every dotted module name some root has."""
        self._roots: dict[int, list[str]] = {}
        self._by_place: dict[tuple[str, bool, int, tuple[str, ...]], list[str]] = {}
        self._shared: dict[tuple[str, ...], list[str]] = {}
        """Each distinct roots list once, so importers with the same roots share one object."""
        self._dirs: set[str] = set()
        self._absolute: dict[str, str] = {}
        self._places: dict[int, tuple[str, str]] = {}
        """id(summary) -> its absolute directory and file name."""
        ancestors: dict[str, list[tuple[str, list[str]]]] = {}
        for s in self.summaries:
            directory, filename = self._places[id(s)] = _place(s.path, self._absolute)
            stem = filename[:-3] if filename.endswith(".py") else filename
            parts = [] if stem == "__init__" else [stem]
            if parts and not stem.isidentifier():
                continue
            up = ancestors.get(directory)
            if up is None:  # (once per directory: its files share the walk up)
                up = ancestors[directory] = self._ancestors(directory)
            for d, package in up:
                if package or parts:
                    name = ".".join([*package, *parts])
                    self._at.setdefault((d, name), s)
                    self.names.add(name)

    def _ancestors(self, directory: str) -> list[tuple[str, list[str]]]:
        """(d, the package path from d down to ``directory``) for ``directory`` and each
        ancestor a module below it can be imported from (while the names are identifiers)."""
        out: list[tuple[str, list[str]]] = []
        package: list[str] = []
        d = directory
        while True:
            out.append((d, package))
            self._dirs.add(d)
            parent, name = os.path.split(d)
            if parent == d or not name.isidentifier():
                return out
            package = [name, *package]
            d = parent

    def get(self, root: str, module: str) -> ModuleSummary | None:
        return self._at.get((root, module))

    def directory(self, summary: ModuleSummary) -> str:
        """The absolute directory of a summary's file."""
        place = self._places.get(id(summary))
        return (place if place is not None else _place(summary.path, self._absolute))[0]

    def roots(self, importer: ModuleSummary, src: Sequence[str]) -> list[str]:
        found = self._roots.get(id(importer))
        if found is not None:
            return found
        place = self._places.get(id(importer))
        here, filename = place if place is not None else _place(importer.path, self._absolute)
        key = (here, filename == "__init__.py", importer.module.count("."), tuple(src))
        found = self._by_place.get(key)
        if found is None:  # (once per directory and depth: the roots depend on nothing else)
            found = self._find_roots(*key)
            found = self._by_place[key] = self._shared.setdefault(tuple(found), found)
        self._roots[id(importer)] = found
        return found

    def _find_roots(self, here: str, init: bool, depth: int, src: Sequence[str]) -> list[str]:
        return [r for r in import_roots(here, depth + init, src) if r in self._dirs]


def import_roots(here: str, climb: int, src: Sequence[str] = (), path: Any = os.path) -> list[str]:
    """The directories, in order and each once, an import is looked up under from a file in
    ``here`` whose module sits ``climb`` packages deep: the directory its package starts in,
    ``here`` (a script's `sys.path[0]`), ``src``, then each ancestor and its `src/`. ``path``:
    `os.path` for directories on disk, `posixpath` for a revision's paths (`rea diff`)."""
    base = here
    for _ in range(climb):
        base = path.dirname(base)
    ordered = [base, here, *src]
    d = here
    while True:
        ordered += [d, path.join(d, "src")]
        parent = path.dirname(d)
        if parent == d:
            break
        d = parent
    return list(dict.fromkeys(ordered))


def relative_import(name: str, here: str, path: Any = os.path) -> tuple[str, str]:
    """A relative module name (`..utils.time`, as `ImportMap` spells one in a module outside
    any package) from a file in ``here``: the directory its dots climb to, and the dotted rest."""
    rest = name.lstrip(".")
    for _ in range(len(name) - len(rest) - 1):
        here = path.dirname(here)
    return here, rest


def _src_roots(config: ReaConfig) -> list[str]:
    """`[tool.rea] src`, relative to the pyproject.toml that holds it (globs allowed)."""
    if not config.src:
        return []
    base = Path(os.path.abspath(os.path.dirname(config.source))) if config.source else Path(os.getcwd())
    out: list[str] = []
    for entry in config.src:
        if any(c in entry for c in "*?["):
            out.extend(os.path.abspath(p) for p in sorted(base.glob(entry)) if p.is_dir())
        else:
            out.append(os.path.abspath(base / entry))
    return out


class _Reachable:
    """A cheap test that a call cannot target one of the module's own functions, so the
    flake8 path resolves only the calls that may (most calls are `ctx.x()`, builtins,
    library calls ...).

    `_Resolver.target` names a function of the module for a called name that is a function's
    name (`helper()`, a nested def), an attribute that is one on a module-level class
    (`Quote.total()`), or a chain through an import of the module itself (`import shop.pricing`
    in `shop.pricing`); every other call resolves outside the module, or to nothing."""

    def __init__(self, model: Model, module: str, helpers: Iterable[Function]) -> None:
        self.names = {fn.name for fn in helpers}  # the functions that are not handler code
        prefix = module + "."
        parents = {module.rsplit(".", cut)[0] for cut in range(module.count(".") + 1)}  # it and its packages
        self.imported = {local for local, qual in model.imports.names.items() if qual in parents or qual.startswith(prefix)}

    def among_segments(self, segments: Iterable[tuple[list[ast.Call], Function]]) -> list[tuple[ast.Call, Function]]:
        """`among` for calls a function at a time (`Model.handler_segments`), as (call,
        function) pairs in order: one loop over plain lists, no pair made for a call that may not."""
        names, imported = self.names, self.imported
        name, attribute = ast.Name, ast.Attribute
        found: list[tuple[ast.Call, Function]] = []
        for calls, fn in segments:
            for call in calls:
                func = call.func
                kind = type(func)
                if kind is name:
                    if func.id in names or func.id in imported:  # type: ignore[attr-defined]
                        found.append((call, fn))
                elif kind is attribute:
                    if func.attr in names:  # type: ignore[attr-defined]
                        found.append((call, fn))
                    elif imported:
                        head = func.value  # type: ignore[attr-defined]
                        while type(head) is attribute:
                            head = head.value
                        if type(head) is name and head.id in imported:
                            found.append((call, fn))
        return found

    def among(self, calls: Iterable[Any]) -> Iterator[Any]:
        """The calls (or (call, function) pairs: ``calls`` yields one kind) that may."""
        names, imported = self.names, self.imported
        name, attribute = ast.Name, ast.Attribute
        for item in calls:
            func = (item if type(item) is ast.Call else item[0]).func
            kind = type(func)
            if kind is name:
                if func.id in names or func.id in imported:  # type: ignore[union-attr]
                    yield item
            elif kind is attribute:
                if func.attr in names:  # type: ignore[union-attr]
                    yield item
                elif imported:
                    head = func.value  # type: ignore[union-attr]
                    while type(head) is attribute:
                        head = head.value
                    if type(head) is name and head.id in imported:
                        yield item


def _cued(code: Iterable[dict[type, list[ast.AST]]], names: set[str], methods: frozenset[str]) -> bool:
    """Does any of this code (functions' nodes by type) use one of ``names`` (an `ast.Name`)
    or an attribute named in ``methods``? (see `Checker.cue_names`)"""
    name_id, attr = attrgetter("id"), attrgetter("attr")
    for nodes in code:
        found = nodes.get(ast.Name)
        if found and not names.isdisjoint(map(name_id, found)):
            return True
        if methods:
            found = nodes.get(ast.Attribute)
            if found and not methods.isdisjoint(map(attr, found)):
                return True
    return False


_DETECTOR_CUES: list[Any] = [None, (), None]
"""The last (configuration, detectors) and their cues (`_detector_cues`)."""


def _detector_cues(config: ReaConfig, detectors: tuple[Any, ...]) -> tuple[Any, frozenset[str]] | None:
    """The union of the detectors' `Cues` and their cue methods; None if one of them has no
    cues (it must always run). Made once per configuration and set of detectors: flake8
    asks the same question for every file."""
    last_config, last_detectors, found = _DETECTOR_CUES
    if last_config is config and last_detectors == detectors:
        return found
    from rea_lint.rules.base import Cues

    parts = [checker.cues(config) for checker in detectors]
    if None in parts:
        found = None
    else:
        methods: frozenset[str] = frozenset()
        for checker in detectors:
            methods |= checker.cue_methods
        found = (Cues.union(*parts), methods)
    _DETECTOR_CUES[:] = [config, detectors, found]
    return found


def _cue_words(model: Model, detectors: tuple[Any, ...]) -> tuple[set[str], frozenset[str]] | None:
    """The names and attribute names without which none of the detectors finds anything in
    this module (see `Checker.cue_names`); None: a detector must always run."""
    cues = _detector_cues(model.config, detectors)
    if cues is None:
        return None
    union, methods = cues
    names = union.names(model)
    for checker in detectors:
        names.update(checker.module_cues(model))
    return names, methods


def transitive_findings(
    model: Model, codes: Iterable[str], module: str = "", path: str = "", lines: Sequence[str] | None = None,
    text: str | None = None,
) -> list[Finding]:
    """The same-module part, for per-file front ends (flake8). Only the module's functions
    that handler code can reach are indexed and summarized; none reached, no work.

    With the module's ``lines`` (numbered as its tree), a reached helper whose text spells
    nothing the detectors start from and no call to follow is not walked (most are not);
    ``text``, those lines joined (or the source), saves joining them again."""
    from rea_lint.rules import all_checkers

    enabled = frozenset(codes)
    checkers = all_checkers()
    detectors = tuple(checkers[c] for c in TRANSITIVE_CODES if c in enabled and c in checkers)
    if not detectors:
        return []
    if factory_classes(model):  # a constructor may run a factory: the whole module, no shortcut
        summary = summarize(model, module or "__module__", path)
        return Project([summary], model.config).findings_for(summary, enabled)
    helpers = [fn for fn in model.functions if not fn.is_handler_code]
    if not helpers:
        return []
    cues = _cue_words(model, detectors)
    if cues is not None:
        names, methods = cues
        if not names and not methods:
            return []
    module = module or "__module__"
    own = {f"{module}.{fn.qualname}": fn for fn in helpers}
    resolver = _Resolver(model, module)
    target_of = resolver.target
    reachable = _Reachable(model, module, helpers)
    starts = []
    for call, fn in reachable.among_segments(model.handler_segments(ast.Call)):
        target = own.get(target_of(call.func, fn))  # type: ignore[arg-type]
        if target is not None:
            starts.append((call, target))
    if not starts:
        return []
    spelled = model.spelled
    if cues is None or spelled is None or not spelled.reads(lines, text):
        spelled = Spelled(lines if cues is not None else None, text)
    # A helper whose text spells neither a cue nor a name `among` follows can neither be
    # what a detector finds nor lead to another helper: it is reached, but not walked.
    walk_for = frozenset().union(*cues, reachable.names, reachable.imported) if cues is not None else frozenset()

    def reach(frontier: list[Function]) -> tuple[dict[int, Function], dict[int, dict[type, list[ast.AST]]]]:
        """The helpers reached from ``frontier`` (in the order reached) and the nodes of those walked."""
        reached: dict[int, Function] = {}
        code: dict[int, dict[type, list[ast.AST]]] = {}
        while frontier:
            fn = frontier.pop()
            if id(fn) in reached:
                continue
            reached[id(fn)] = fn
            if spelled.any_of(fn, walk_for) is False:
                continue
            local = code[id(fn)] = model.function_nodes(fn)
            for call in reachable.among(local.get(ast.Call, ())):
                target = own.get(target_of(call.func, fn))  # type: ignore[arg-type]
                if target is not None and id(target) not in reached:
                    frontier.append(target)
        return reached, code

    # Most reached helpers do nothing forbidden: then there is no chain to report, and the
    # call graph need not be built. Code that names nothing a detector starts from is left
    # at that; otherwise the detectors run, and stop at their first hit.
    # A call handed to a run as a coroutine maker is not followed (`coroutine_actions`); that
    # is worked out only once some helper reached through every call is cued: leaving calls
    # out reaches a subset of the same helpers, and so none cued either.
    if cues is not None:
        reached, code = reach([target for _, target in starts])
        if not _cued(code.values(), *cues):
            return []
    unrun = coroutine_actions(model)
    frontier = [target for call, target in starts if id(call) not in unrun]
    if not frontier:
        return []
    if cues is None or len(frontier) < len(starts):
        reached, code = reach(frontier)
        if cues is not None and not _cued(code.values(), *cues):
            return []
    for key, fn in reached.items():
        if key not in code:
            code[key] = model.function_nodes(fn)

    def nodes(*types: type) -> Iterator[tuple[ast.AST, Function]]:
        for t in types:  # the reached functions' nodes of this type, in the order reached
            for fn in reached.values():
                found = code[id(fn)].get(t)
                if found:
                    yield from zip(found, repeat(fn))

    if not any(next(iter(checker.detect(model, nodes)), None) is not None for checker in detectors):
        return []
    summary = summarize(model, module, path, only=list(reached.values()), nodes=nodes, resolver=resolver)
    return Project([summary], model.config).findings_for(summary, enabled)


def merge(found: Sequence[Finding], transitive: Sequence[Finding]) -> list[Finding]:
    """Both lists, without a transitive finding where a rule already reported the same code
    at the same place (an `extra-calls` entry naming a project function)."""
    at = {(f.line, f.col, f.code) for f in found}
    return sorted([*found, *(f for f in transitive if (f.line, f.col, f.code) not in at)])


def iter_python_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """`*.py` under the given files and directories (a convenience for tests and scripts;
    the CLI walks with its own excludes)."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(p.rglob("*.py"))
        elif p.suffix == ".py":
            yield p
