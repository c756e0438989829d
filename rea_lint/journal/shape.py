"""Journal shapes: the operations each handler's code can journal, as a regular structure.

A shape is a tree of `Seq`, `Step` (one operation), `Branch` (if/elif/else, match, a
conditional expression, short-circuit `and`/`or`), `Loop` (for/while, comprehensions),
`Try`, `Exit` (return/raise), `Jump` (break/continue) and `Unknown` (with the place that
makes it unknowable). Branch and loop conditions carry a fingerprint of their computation
(`fingerprint.py`), so a comparison knows when two revisions must take the same way.

It is built from the semantic model (`rea_lint.model`): contexts are the names the model
knows, run actions are skipped (what they do is not journaled; their name is), and helpers
that receive the context are followed into their bodies, across the project's modules, as
transitive findings are (`rea_lint.project`'s resolver). Journal order is call order: the
SDK journals a command when the context method is called, not when it is awaited.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import os
import posixpath
import weakref
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, Union

from rea_lint.config import DEFAULT, ReaConfig
from rea_lint.data_classes import decoder_kind, optional_of
from rea_lint.engine import tree_mode
from rea_lint.source_lines import source_lines
from rea_lint.journal.catching import MISSES, Catch, Raised, catch_of, catches, raised_by
from rea_lint.journal.changed_lines import Trail
from rea_lint.journal.class_code import Part, class_code, field_code, whole_code
from rea_lint.journal.decoding import Decoding
from rea_lint.journal.encoding import Writes
from rea_lint.journal.code_names import name_digest, shared_directories
from rea_lint.journal.fingerprint import (Defaulted, Definition, Fingerprinter, code_digest, code_reach, default_of, method_code, module_binding,
                                          positive_test,
                                          module_constant)
from rea_lint.journal.ops import Field, Op, OpKind
from rea_lint.model import Function, Model, build_model, service_name, shorten, source_text
from rea_lint.names import ImportMap, dotted
from rea_lint.prefilter import may_define_handlers
from rea_lint.project import _Resolver, import_roots, package_of, relative_import
from rea_lint.rules.base import memo
from rea_lint.syntax import explain_syntax_error

_Resolve = Callable[["_Module", ast.expr, bool], Any]
"""(a module, an annotation of it, whether `Optional[X]` is read as X) -> what a class is read as
(`_Project.annotated`: its decoding; `_Project.annotated_code`: its code)."""

__all__ = [
    "Anchor",
    "Branch",
    "Exit",
    "HandlerShape",
    "Jump",
    "Inlined",
    "Loop",
    "Node",
    "Seq",
    "Shapes",
    "Step",
    "Try",
    "Unknown",
    "load_shapes",
    "shapes_of_source",
    "shape_sides",
    "shapes_of_revisions",
    "shapes_of_sources",
]

_MAX_INLINE_DEPTH = 8


# --- the shape ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    op: Op


@dataclass(frozen=True)
class Seq:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Anchor:
    """A condition's truth as a function of the journal entries it reads
    (`Fingerprinter.anchored`): where the same function of the same entries was decided in a
    recorded journal, it is decided the same way, whatever the two conditions' fingerprints."""

    text: str
    """A digest of the computation, each replayed result in it a slot."""
    slots: tuple[tuple[str, int, int], ...]
    """The operation each slot's result is: (path, line, column), as its `Op` is placed; the
    entry it reads is the one that operation journaled last on the way."""
    negated: bool = False
    """The first arm runs when the computation is false (`a or b` goes on to `b`)."""
    counted: bool = False
    """A `for` loop's iterable (or a comprehension's): whether the loop iterates at its k-th
    decision is whether the iterable, computed from the entries, has a (k+1)th item, so each
    decision's key names its k."""

    def key(self, last: Mapping[tuple[str, int, int], int], iteration: int = 0) -> str:
        """The computation and the journal entries it reads there. An operation that has not
        journaled on the way is `-`: the condition did not read it (a `b` that `a or b` skipped;
        a local bound to it would be unbound)."""
        head = f"{self.text}#{iteration}" if self.counted else self.text
        return f"{head}@{','.join(str(last.get(s, '-')) for s in self.slots)}"


@dataclass(frozen=True)
class Branch:
    """One of ``arms`` runs; ``condition`` fingerprints what decides which."""

    condition: str
    text: str
    line: int
    arms: tuple["Node", ...]
    path: str = ""
    """The file the condition is in (a helper's, when inlined)."""
    anchor: Anchor | None = None
    """For a two-armed branch (the first arm when true): what its truth is computed from."""
    nonempty: tuple[str, int] | None = None
    """A guard on a `for` loop's iterable right after it (`if not items: return`, then `for item
    in items`): the loop's condition, and the arm taken when the iterable yields something."""

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"line {self.line}"


@dataclass(frozen=True)
class Loop:
    """``body`` runs zero or more times, then ``orelse`` (unless a `break` left)."""

    condition: str
    text: str
    line: int
    body: "Node"
    orelse: "Node"
    endless: bool = False
    """`while True:`: it ends only by `break`, `return` or `raise` (never runs ``orelse``)."""
    path: str = ""
    """The file the loop is in (a helper's, when inlined)."""
    anchor: Anchor | None = None
    """For a `while`: what its condition's truth (iterate again) is computed from; for a `for`,
    what its iterable is."""
    count: int | None = None
    """How many times it iterates, where the code says so (`for _ in range(3)`, a literal
    tuple): it iterates that often and then stops, which no journal needs to decide."""

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"line {self.line}"


@dataclass(frozen=True)
class Try:
    """``body``; if it raises after any of its operations, one of ``handlers``; else
    ``orelse``; then ``final``."""

    body: "Node"
    handlers: tuple["Node", ...]
    orelse: "Node"
    final: "Node"
    line: int
    catches: tuple[Catch, ...] = field(default=(), compare=False)
    """What each handler's `except` names (`catching.Catch`), one per handler, in order: which
    one a `raise` in ``body`` goes to."""


@dataclass(frozen=True)
class Inlined:
    """An inlined helper with a `return` inside a loop or `try`: a `Jump("return")` in
    ``body`` ends the helper, and its caller goes on after it."""

    body: "Node"
    line: int


@dataclass(frozen=True)
class Exit:
    """`return` or `raise`: the path ends here. Its place and text (not compared: two exits
    differ by ``how`` and ``line``) let `rea explain` name the line a 570 on the handler's
    output comes from."""

    how: str
    line: int
    path: str = field(default="", compare=False)
    source: str = field(default="", compare=False, repr=False)
    """The text of its module (the project holds it anyway): the statement's own text is made
    only when a reason names it, as few are (unparsing each one cost 3.5% of `rea diff`, and
    keeping its tree 13% more memory)."""
    span: tuple[int, int, int] = field(default=(0, 0, 0), compare=False, repr=False)
    """The statement's column, last line and end column in ``source``."""
    caught: bool = field(default=False, compare=False)
    """A `raise` inside a `try` whose handlers may catch it (`catching`): the code may go on
    there, and only a replay that follows it (`guided`) knows whether this ends the handler."""
    raised: Raised | None = field(default=None, compare=False, repr=False)
    """For a `raise`: the class it raises, with its ancestors (None: rea cannot name it)."""
    doubt: str = field(default="", compare=False)
    """Set on the way a replay follows past a `try` that may have caught this `raise`: the
    clause rea cannot tell about (a way that ends here is then not known to be taken)."""

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"line {self.line}"

    @property
    def text(self) -> str:
        """The statement as written, shortened (`return "long"`, `raise TerminalError("no")`);
        one written over several lines, on one line as Python would write it (`return {'a': 1}`:
        its first line alone, `return {`, names nothing)."""
        lines = source_lines(self.source)
        if not 0 < self.line <= len(lines):
            return self.how
        col, end_line, end_col = self.span
        line = lines[self.line - 1].encode()  # (the parser's columns count UTF-8 bytes)
        if end_line == self.line:
            return shorten(line[col:end_col].decode(errors="replace"))
        if self.line < end_line <= len(lines):
            written = b"\n".join([line[col:], *(x.encode() for x in lines[self.line:end_line - 1]),
                                  lines[end_line - 1].encode()[:end_col]]).decode(errors="replace")
            try:
                statement = ast.parse(written).body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                statement = []
            if len(statement) == 1:
                return source_text(statement[0])
        return shorten(line[col:].rstrip().decode(errors="replace") + " ...")


@dataclass(frozen=True)
class Jump:
    """`break` or `continue` inside a loop, or `return` inside an `Inlined` helper."""

    how: str
    line: int


@dataclass(frozen=True)
class Unknown:
    """What the code journals from here cannot be known from source."""

    reason: str
    path: str
    line: int
    col: int = 0
    opaque: str = ""
    """A fingerprint of the call that makes it unknown: two revisions with the same opaque
    call (same callee, same arguments) journal the same, whatever that is."""

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"line {self.line}"


Node = Union[Step, Seq, Branch, Loop, Try, Inlined, Exit, Jump, Unknown]
EMPTY = Seq(())


@dataclass(frozen=True)
class HandlerShape:
    service: str
    """The service name Restate knows (`restate.Service("greeter")` -> `greeter`)."""
    service_kind: str
    """`service`, `object` or `workflow`."""
    handler: str
    """The handler name Restate knows (the function's name, or the decorator's `name=`)."""
    kind: str
    """`service`, `exclusive`, `shared`, `workflow` (`rea_lint.model.HandlerKind`), or `unknown`."""
    path: str
    line: int
    function: str
    """The Python function's qualified name."""
    shape: Node
    computed_service: bool = False
    """The service's name is computed at run time (`restate.Service(NAME)`,
    `restate.Service(self.name)`): ``service`` is then the variable's name (after the
    function's that makes it), the same on both sides of a comparison but not Restate's."""
    input: Decoding | None = None
    """The pydantic model the SDK decodes the handler's input (journal index 0) into, at every
    replay (`journal.decoding`; restate-sdk 1.3 decodes no other class: a dataclass input is a dict)."""
    input_line: int = 0
    """The line of the input parameter (with ``input``)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.service, self.handler)

    def ops(self) -> list[Op]:
        """Every operation in the shape, in source order (for listings; not a path)."""
        out: list[Op] = []
        _collect_ops(self.shape, out)
        return out


class Shapes(dict[tuple[str, str], HandlerShape]):
    """(service name, handler name) -> its shape: the first definition in path order.

    A repository of several apps can define one handler in more than one of them (the
    examples of restatedev/examples define `Greeter/greet` in three); each app is a deployment
    of its own, so every definition is compared (`definitions`), each with the one in the
    same file on the other side."""

    def __init__(self) -> None:
        super().__init__()
        self.later: dict[tuple[str, str], list[HandlerShape]] = {}
        """The definitions after the first of each handler defined more than once."""

    def add(self, shape: HandlerShape) -> None:
        first = self.setdefault(shape.key, shape)
        if first is not shape:
            self.later.setdefault(shape.key, []).append(shape)

    def definitions(self, key: tuple[str, str]) -> list[HandlerShape]:
        """Every definition of a handler, in path order (none: no such handler)."""
        first = self.get(key)
        return [] if first is None else [first, *self.later.get(key, ())]

    def every(self) -> Iterator[HandlerShape]:
        """Every definition of every handler."""
        for key in self:
            yield from self.definitions(key)


def inner_nodes(node: Node) -> tuple[Node, ...]:
    """The nodes directly inside ``node``, in source order (the one place that knows where
    each kind of node keeps them, for the walks below that look at every part alike)."""
    if isinstance(node, Seq):
        return node.items
    if isinstance(node, Branch):
        return node.arms
    if isinstance(node, Loop):
        return (node.body, node.orelse)
    if isinstance(node, Try):
        return (node.body, *node.handlers, node.orelse, node.final)
    if isinstance(node, Inlined):
        return (node.body,)
    return ()


def shape_key(node: Node) -> str:
    """What a shape journals, as text: equal for two shapes that journal alike (`same_shape`)."""
    if isinstance(node, Step):
        fields = ",".join(f"{k}={f.literal!r}" if f.is_literal else f"{k}~{f.fingerprint}{f.writes.key() if f.writes else ''}"
                          for k, f in sorted(node.op.fields.items()))
        return f"{node.op.kind.value}({fields})"
    if isinstance(node, Unknown):
        return f"?({node.opaque or node.reason})"
    head = type(node).__name__ + getattr(node, "how", "") + getattr(node, "condition", "")
    return f"{head}[{';'.join(shape_key(p) for p in inner_nodes(node))}]"


def _collect_ops(node: Node, out: list[Op]) -> None:
    if isinstance(node, Step):
        out.append(node.op)
    for part in inner_nodes(node):
        _collect_ops(part, out)


# --- loading --------------------------------------------------------------------------------


@dataclass
class _Module:
    name: str
    path: str
    model: Model
    resolver: _Resolver
    functions: dict[str, Function]
    """Qualified name in the module -> its function."""
    handler_names: dict[str, tuple[str, str]]
    """Qualified name of each handler function -> (service, handler), for call targets
    written as a reference (`ctx.service_call(greet, ...)`)."""


@dataclass
class _Turn:
    """One file's handlers shaped: their shapes, and every module name looked up meanwhile
    (from which file) with the file it named (None: no such module), so that the other side of
    a comparison can tell the same file would give the same shapes."""

    module: str
    shapes: list[HandlerShape]
    lookups: dict[tuple[str, str], str | None]
    clean: bool
    """Every file read parsed (else the other side parses them again, to report them)."""


class ShapeError(Exception):
    """A file that cannot be read or parsed (reported with its path, never dropped)."""


def shapes_of_sources(sources: Mapping[str, str], config: ReaConfig = DEFAULT) -> tuple[Shapes, list[str]]:
    """Shapes of every handler in these files (path -> text), and one problem line per file
    that could not be parsed (of those that may define a handler, `prefilter.may_define_handlers`, or
    that a handler inlines a helper from: no other file is parsed). Module names come from the
    paths and the packages among them (`pkg/mod.py` with `pkg/__init__.py` -> `pkg.mod`), so
    helpers imported across modules are followed.

    Files are shaped one at a time (`_Project`): a tree is kept only while its handlers are
    shaped, or once another file's handler inlines one of its helpers. No cyclic garbage
    collection runs meanwhile: the trees and models hold no cycles (reference counting frees
    them), and each collection would walk the ones kept again."""
    with tree_mode():
        shapes, problems = _shape_all(_Project(sources, config))
    return shapes, _listed(problems)


def shapes_of_revisions(
    old: Mapping[str, str], new: Mapping[str, str], config: ReaConfig = DEFAULT
) -> tuple[tuple[Shapes, list[str]], tuple[Shapes, list[str]]]:
    """`shapes_of_sources` of both sides of a comparison. A file whose text is the same on
    both sides, and whose handlers read only files that are the same too (every module name
    they looked up names the same file, with the same text), has the same shapes: the new side
    takes them from the old one instead of parsing it again. A deploy changes a few files, so
    this is most of the new side's work."""
    (old_shapes, old_problems), (new_shapes, new_problems) = shape_sides(old, new, config)
    return (old_shapes, _listed(old_problems)), (new_shapes, _listed(new_problems))


def shape_sides(
    old: Mapping[str, str], new: Mapping[str, str], config: ReaConfig = DEFAULT
) -> tuple[tuple[Shapes, dict[str, str]], tuple[Shapes, dict[str, str]]]:
    """`shapes_of_revisions` with each side's problems by path (path -> its problem line), so a
    comparison knows which files a side could not parse."""
    with tree_mode():
        before = _Project(old, config)
        first = _shape_all(before)
        return first, _shape_all(_Project(new, config, previous=before))


def _shape_all(project: "_Project") -> tuple[Shapes, dict[str, str]]:
    shapes = Shapes()
    for path in sorted(project.sources):
        for shape in project.shape_file(path):
            shapes.add(shape)
    return shapes, {p: project.problems[p] for p in sorted(project.problems)}


def _listed(problems: Mapping[str, str]) -> list[str]:
    return [problems[p] for p in sorted(problems)]


def shapes_of_source(source: str, path: str = "<string>", config: ReaConfig = DEFAULT) -> Shapes:
    """The shapes of one module's handlers (helpers in the same module are followed)."""
    shapes, problems = shapes_of_sources({path: source}, config)
    if problems and not shapes:
        raise ShapeError(problems[0])
    return shapes


def load_shapes(paths: Iterable[str | os.PathLike[str]], config: ReaConfig = DEFAULT) -> tuple[Shapes, list[str]]:
    """Shapes of the handlers in these files and directories, from disk: the files `rea check`
    reads (`rea_lint.discovery`: directories walked for `*.py`, leaving out what `exclude` leaves
    out (`revisions.Excluded`: the nearest pyproject.toml's), what git ignores and tool and environment
    directories; a file named is read even if git ignores it), decoded as the compiler does. A
    file that cannot be read is one problem line; so is an `exclude` that leaves out every file."""
    from rea_lint.discovery import discover
    from rea_lint.journal.revisions import Excluded
    from rea_lint.reading import UnreadableFile, read_regular
    from rea_lint.runner import decode

    excluded = Excluded(".")
    files, problems = discover(list(paths), excluded)
    if not files and not problems and excluded.by:
        everything, _ = discover(list(paths))
        if everything:  # (`rea check`'s warning: nothing is left to read)
            which = "the only Python file" if len(everything) == 1 else f"all {len(everything)} Python files"
            problems.append(f"no Python files to read: [tool.rea] exclude in {', '.join(sorted(excluded.by))} leaves "
                            f"out {which} under the paths given, as `rea check` does; name files it does not exclude, "
                            "or narrow `exclude`")
    sources: dict[str, str] = {}
    for f in files:
        try:
            sources[str(f)] = decode(read_regular(f, config.max_file_size))
        except UnreadableFile as err:
            problems.append(f"{f}: {err}")
        except (OSError, UnicodeDecodeError, SyntaxError) as err:
            problems.append(f"{f}: cannot read: {getattr(err, 'strerror', None) or err}")
    shapes, more = shapes_of_sources(sources, config)
    return shapes, problems + more


def _module_name(path: str, known: frozenset[str]) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`, walking up while the directory's `__init__.py` is
    among the sources read (the same for a git revision, a directory and the disk)."""
    p = PurePosixPath(path.replace(os.sep, "/"))
    parts = [] if p.stem == "__init__" else [p.stem]
    d = p.parent
    while str(d) not in (".", "/", "") and str(d / "__init__.py") in known:
        parts.insert(0, d.name)
        d = d.parent
    return ".".join(parts) or p.stem


# --- the project: modules, handlers, helpers -------------------------------------------------


_UNSET: Any = object()


class _Project:
    """The project's files, parsed when needed.

    A file is parsed when its turn comes to have its handlers shaped, or earlier when a
    handler elsewhere inlines one of its helpers. After its turn its tree is released, unless
    another file's handler has needed it: then it is kept, so a module of shared helpers is
    parsed at most twice (`parses` counts). The memory held is one file's tree and the helper
    modules', not the whole project's: keeping every tree took 8.5 GB on 20,000 modules and
    made every step slower by the memory it spanned.

    Two files with one module name (`one/app.py` and `two/app.py`, no packages) are both
    shaped, and a name is resolved to the one nearest the file that names it.

    With ``previous`` (the other side of a comparison, shaped), a file whose turn there read
    only files that are the same here takes its shapes from there (`_same_before`)."""

    def __init__(self, sources: Mapping[str, str], config: ReaConfig, previous: "_Project | None" = None) -> None:
        self.sources = sources
        self.config = config
        known = frozenset(p.replace(os.sep, "/") for p in sources)
        self.names = {path: _module_name(path, known) for path in sources}
        self.paths_of: dict[str, list[str]] = {}
        """Module name -> the files of that name, in path order."""
        for path in sorted(sources):
            self.paths_of.setdefault(self.names[path], []).append(path)
        self.problems: dict[str, str] = {}
        """Path -> why it could not be parsed (once, however often it is asked for)."""
        self.parses = 0
        self._loaded: dict[str, _Module | None] = {}
        self._kept: set[str] = set()
        self._turn: str | None = None
        self._lookups: dict[tuple[str, str], str | None] = {}
        self.previous = previous
        """The other side of a comparison, already shaped: files it shaped the same are reused."""
        self.turns: dict[str, _Turn] = {}
        self.reused = 0
        self._classes: dict[tuple[str, str], tuple[Model, ast.ClassDef, str] | None] = {}
        """(file, name) -> `class_at`, for the turn of ``_classes_turn`` only."""
        self._classes_turn: str | None = None
        self._definitions: dict[tuple[str, str], Definition | None] = {}
        """(file, qualified name) -> `definition_of`, for the turn of ``_definitions_turn`` only."""
        self._definitions_turn: str | None = None
        self._wholes: dict[tuple[int, str, bool], tuple[tuple[Part, ...], str]] = {}
        """(id of a class's parts, its name, whether defaults count) -> the parts and `whole_of` them,
        for the file being shaped (a handler's input class is named by many of its handlers)."""
        self._rooted: dict[tuple[str, str, int], str | None] = {}
        """(module name, importing file's directory, its package depth) -> `_from_roots`."""

    def shape_file(self, path: str) -> list[HandlerShape]:
        """The shapes of one file's handlers; its tree is released afterwards unless kept."""
        if not may_define_handlers(self.sources[path], self.config):
            return []  # (parsed only if a handler inlines its helpers: models, clients, tests)
        turn = self._same_before(path)
        if turn is not None:
            self.reused += 1
            self.turns[path] = turn
            return turn.shapes
        self._turn, self._lookups = path, {}
        try:
            mod = self._load(path)
            shapes = self.handlers(mod) if mod is not None else []
        finally:
            self._turn = None
            self._classes = {}
            self._wholes = {}
            if path not in self._kept:
                self._loaded.pop(path, None)
        read = [path, *(p for p in self._lookups.values() if p is not None)]
        self.turns[path] = _Turn(self.names[path], shapes, self._lookups, not any(p in self.problems for p in read))
        return shapes

    def _same_before(self, path: str) -> _Turn | None:
        """The previous side's turn of this file, if shaping it here would give the same."""
        before = self.previous
        turn = before.turns.get(path) if before is not None else None
        if turn is None or not turn.clean or turn.module != self.names[path] or before.sources[path] != self.sources[path]:  # type: ignore[union-attr]
            return None
        for (name, near), chosen in turn.lookups.items():
            if self._choose(name, near) != chosen:
                return None
            if chosen is not None and (before.names[chosen] != self.names[chosen] or before.sources[chosen] != self.sources[chosen]):  # type: ignore[union-attr]
                return None
        return turn

    def held(self) -> list[str]:
        """The files whose trees are held now (in path order)."""
        return sorted(p for p, mod in self._loaded.items() if mod is not None)

    def _load(self, path: str) -> _Module | None:
        if path in self._loaded:
            return self._loaded[path]
        module = self.names[path]
        mod: _Module | None = None
        try:
            self.parses += 1
            tree = ast.parse(self.sources[path], filename=path)
        except SyntaxError as err:
            self.problems.setdefault(path, f"{path}:{err.lineno or 1}: cannot parse: {explain_syntax_error(err)}")
        except ValueError as err:  # (source with a null byte)
            self.problems.setdefault(path, f"{path}:1: cannot parse: {err}")
        else:
            model = build_model(tree, self.config, ImportMap.from_tree(tree, package_of(module, path)))
            mod = _Module(module, path, model, _Resolver(model, module), {fn.qualname: fn for fn in model.functions}, {})
            for fn, service, _kind, handler, _computed in self._decorated(mod):
                mod.handler_names[fn.qualname] = (service, handler)
        self._loaded[path] = mod
        return mod

    def _choose(self, name: str, near: str) -> str | None:
        """The file of the module of this name nearest the file ``near``.

        A relative name (`.steps`, `..utils.time`: a relative import in a module outside any
        package, whose directory has no `__init__.py` or is no identifier, as
        `end-to-end-applications/insurance-workflows/` in restatedev/ai-examples) is the file
        that path names from ``near``'s directory, as Python finds it when it runs the
        directory as a package."""
        if name.startswith("."):
            return self._relative(name, near)
        found = self._from_roots(name, near)
        if found is not None:
            return found
        paths = self.paths_of.get(name)
        if not paths:
            return None
        return paths[0] if len(paths) == 1 else max(reversed(paths), key=lambda p: shared_directories(p, near))

    def _from_roots(self, name: str, near: str) -> str | None:
        """The file that names the module ``name`` under the roots Python and pyright search
        from ``near``, as `rea check` links chains (`rea_lint.project`): the directory its
        package starts in, its own directory (a script's `sys.path[0]`), then each ancestor and
        its `src/`. So `from utils.utils import x` in an app run from its own directory finds
        that app's `utils/utils.py`, not another app's whose module is named so from the top
        (restatedev/ai-examples keeps two such apps side by side, one of them a package)."""
        here = posixpath.dirname(near.replace(os.sep, "/"))
        climb = self.names[near].count(".") + (posixpath.basename(near) == "__init__.py") if near in self.names else 0
        key = (name, here, climb)
        found = self._rooted.get(key, _UNSET)
        if found is _UNSET:
            found = self._rooted[key] = next(
                (f for root in import_roots(here, climb, path=posixpath) if (f := self._file_at(root, name)) is not None), None)
        return found

    def _relative(self, name: str, near: str) -> str | None:
        here, rest = relative_import(name, posixpath.dirname(near.replace(os.sep, "/")), path=posixpath)
        return self._file_at(here, rest) if rest else None

    def _file_at(self, root: str, name: str) -> str | None:
        """The file of the dotted module ``name`` under the directory ``root``, if the sources have it."""
        stem = posixpath.join(root, *name.split("."))
        return next((c for c in (f"{stem}.py", f"{stem}/__init__.py") if c in self.sources), None)

    def file_of(self, name: str, near: str) -> str | None:
        """The file of the module of this name nearest the file ``near``, unread (the lookup
        is recorded, as `module`'s are: the shapes depend on it)."""
        self._lookups[(name, near)] = path = self._choose(name, near)
        return path

    def module(self, name: str, near: str) -> _Module | None:
        """The module of this name nearest the file ``near`` (kept from now on unless it is
        the file whose handlers are being shaped)."""
        path = self._lookups[(name, near)] = self._choose(name, near)
        if path is None:
            return None
        mod = self._load(path)
        if mod is not None and path != self._turn:
            self._kept.add(path)
        return mod

    def resolve(self, target: str, near: str) -> tuple[_Module, Function] | None:
        """The project function a qualified name denotes from the file ``near``, following
        re-exports (`from shop.pricing import quote` in `shop/__init__.py`, then `shop.quote`)."""
        return self._resolve(target, near, lambda mod, rest: mod.functions.get(rest))

    def class_at(self, model: Model, path: str, name: ast.expr) -> tuple[Model, ast.ClassDef, str] | None:
        """The project class ``name`` denotes at the top level of the module at ``path``
        (`journal.decoding.ClassLookup`): a class that module defines once, or one it imports.

        Kept for the file being shaped only (each file's turn looks its modules up itself, for
        `_same_before`), in the project: kept in a model's `memo`, the answer would hold that model
        (or another file's) in a reference cycle, which only a collection frees."""
        spelled = dotted(name) if isinstance(name, (ast.Name, ast.Attribute)) else None
        if spelled is None:
            return None
        if self._classes_turn is not self._turn:
            self._classes_turn, self._classes = self._turn, {}
        key = (path, spelled)
        if key not in self._classes:
            self._classes[key] = self._class_at(model, path, name)
        return self._classes[key]

    def _class_at(self, model: Model, path: str, name: ast.expr) -> tuple[Model, ast.ClassDef, str] | None:
        if isinstance(name, ast.Name):
            cls = _top_class(model, name.id)
            if cls is not None:
                return model, cls, path
        qual = model.qualify(name) if isinstance(name, (ast.Name, ast.Attribute)) else None
        if qual is None or qual.startswith("builtins."):
            return None
        found = self._resolve(qual, path, lambda mod, rest: _top_class(mod.model, rest))
        return (found[0].model, found[1], found[0].path) if found is not None else None

    def _resolve(self, target: str, near: str, find: Any) -> tuple[_Module, Any] | None:
        """What ``find(module, rest of the name)`` finds for a qualified name, as `resolve`."""
        for _ in range(8):
            parts = target.split(".")
            first: tuple[_Module, list[str]] | None = None
            for cut in range(len(parts) - 1, 0, -1):
                mod = self.module(".".join(parts[:cut]), near)
                if mod is None:
                    continue
                fn = find(mod, ".".join(parts[cut:]))
                if fn is not None:
                    return mod, fn
                if first is None:
                    first = (mod, parts[cut:])
            if first is None:
                return None
            mod, rest = first
            alias = mod.model.imports.names.get(rest[0])
            if alias is None:
                return None
            hop = ".".join([alias, *rest[1:]])
            if hop == target:
                return None
            target, near = hop, mod.path
        return None

    def _decorated(self, mod: _Module):
        m = mod.model
        for fn in m.functions:
            h = fn.handler
            if h is None or h.factory is None or h.decorator is None:
                continue
            deco = h.decorator
            call = deco if isinstance(deco, ast.Call) else None
            target = call.func if call else deco
            # `svc`, or `self.svc` in the function that sets it (`Handler.scope`)
            var = dotted(target.value) or "?"  # type: ignore[attr-defined]
            if h.scope is not None:  # a service object a function makes: named there, or after it
                literal = h.service
                service = literal or f"{h.scope}.{var}"
            else:
                value = m.module_values.get(var)
                literal = service_name(value) if isinstance(value, ast.Call) else None
                service = literal or var
            kind = {"Service": "service", "VirtualObject": "object", "Workflow": "workflow"}[h.factory]
            yield fn, service, kind, fn.handler_name, literal is None

    def handlers(self, mod: _Module) -> list[HandlerShape]:
        out = []
        for fn, service, service_kind, handler, computed in self._decorated(mod):
            kind = fn.handler.kind.value if fn.handler and fn.handler.kind else "unknown"
            builder = _ShapeBuilder(self, mod, fn, contexts=frozenset(fn.contexts), env={}, depth=0, stack=(f"{mod.path}:{fn.qualname}",), via=())
            try:
                shape: Node = builder.block(fn.node.body)
            except RecursionError:
                shape = Unknown("the handler's code is nested too deeply for rea to follow", mod.path, fn.node.lineno, fn.node.col_offset)
            given = self._input(mod, fn)
            out.append(HandlerShape(service, service_kind, handler, kind, mod.path, fn.node.lineno, fn.qualname, shape, computed,
                                    *(given if given is not None else (None, 0))))
        return out

    def _input(self, mod: _Module, fn: Function) -> tuple[Decoding, int] | None:
        """The model the handler's input is decoded into, and its parameter's line: the last
        parameter's annotation (`Optional[X]` as `X`), as restate-sdk 1.3 reads a two-parameter
        handler's signature, unless the decorator names its own `input_serde`."""
        args = fn.node.args
        params = [*args.posonlyargs, *args.args]
        if len(params) != 2 or args.vararg or args.kwarg or args.kwonlyargs or params[-1].annotation is None:
            return None
        if _names_serde(fn, "input_serde"):
            return None
        found = self.annotated(mod, params[-1].annotation, optional=True)
        return (found, params[-1].lineno) if found is not None and found.kind == "pydantic" else None

    def annotated(self, mod: _Module, annotation: ast.expr, optional: bool) -> Decoding | None:
        """The decoding an annotation of ``mod`` names (`-> "Quote"` read as `Quote`; with
        ``optional``, `Optional[X]` as `X`, as restate-sdk's `extract_core_type`)."""
        annotation = _unquoted(annotation)  # type: ignore[assignment]
        if annotation is None:
            return None
        if optional:
            annotation = optional_of(mod.model, annotation)
        return Decoding.of(mod.model, mod.path, annotation, self.class_at, self._turn, imported=self.definition_of)

    def annotated_code(self, mod: _Module, annotation: ast.expr | None, optional: bool, defaults: bool = False) -> str | None:
        """The whole code (`class_code.whole_code`, named for `code_names`) of the pydantic model or
        dataclass an annotation of ``mod`` names, as `annotated` reads it, whether or not rea can
        list its fields (a `model_validator(mode="before")`, an alias...); None for another class
        (a `TypedDict` is decoded as plain JSON, whatever its code) or none of the project's."""
        annotation = _unquoted(annotation)
        if annotation is None:
            return None
        inner = optional_of(mod.model, annotation) if optional else annotation
        found = self.class_at(mod.model, mod.path, inner) if isinstance(inner, (ast.Name, ast.Attribute)) else None
        if found is None or decoder_kind(*found, self.class_at) is None:
            return None
        model, cls, path = found
        return self.whole_of(cls.name, self.class_code(model, cls, path), defaults, f"{path}:{cls.lineno}")

    def class_code(self, model: Model, cls: ast.ClassDef, path: str) -> tuple[Part, ...]:
        """`class_code.class_code` of a project class, read this turn (its bases and the helpers its
        methods import found as the turn finds them)."""
        return class_code(model, cls, path, self.class_at, self._turn, imported=self.definition_of)

    def method_code(self, method: ast.FunctionDef | ast.AsyncFunctionDef, where: str) -> str:
        """`fingerprint.method_code` of a method of the class at ``where`` (`path:line`), read
        with its module's model (loaded: its class was found)."""
        path = where.rpartition(":")[0]
        mod = self._loaded.get(path)
        return method_code(mod.model if mod is not None else None, method, path, self.definition_of)

    def definition_of(self, qual: str, near: str) -> Definition | None:
        """The project's module-level function, class or value a qualified name denotes from the file
        ``near`` (`code_reach`'s), once per name and file shaped."""
        if self._definitions_turn is not self._turn:
            self._definitions_turn, self._definitions = self._turn, {}
        key = (near, qual)
        if key not in self._definitions:
            found = None
            if "." in qual and not qual.startswith(("builtins.", "typing.", "restate.", "pydantic.")):
                fn = self.resolve(qual, near)
                if fn is not None and fn[1].parent is None:
                    found = (fn[0].model, fn[1].node, fn[0].path)
                else:  # (a class, or a module value: `from config import PREFIX`, `module_binding`)
                    cls = self._resolve(qual, near, lambda mod, rest: _top_class(mod.model, rest) or module_binding(mod.model, rest))
                    found = (cls[0].model, cls[1], cls[0].path) if cls is not None else None
            self._definitions[key] = found
        return self._definitions[key]

    def whole_of(self, name: str, parts: tuple[Part, ...], defaults: bool, where: str) -> str:
        """`whole_code` of the class ``name`` (at ``where``), named for `code_names`; once per class
        and file shaped."""
        key = (id(parts), name, defaults)
        found = self._wholes.get(key)
        if found is None or found[0] is not parts:
            found = self._wholes[key] = parts, name_digest(whole_code(name, parts, defaults), f"`{name}` ({where})")
        return found[1]


# --- building one function's shape -----------------------------------------------------------

_CALLS = {
    # method: (kind, positional parameter names after the target)
    "service_call": (OpKind.CALL, ("tpe", "arg", "idempotency_key", "headers")),
    "service_send": (OpKind.SEND, ("tpe", "arg", "send_delay", "idempotency_key", "headers")),
    "object_call": (OpKind.CALL, ("tpe", "key", "arg", "idempotency_key", "headers")),
    "object_send": (OpKind.SEND, ("tpe", "key", "arg", "send_delay", "idempotency_key", "headers")),
    "workflow_call": (OpKind.CALL, ("tpe", "key", "arg", "idempotency_key", "headers")),
    "workflow_send": (OpKind.SEND, ("tpe", "key", "arg", "send_delay", "idempotency_key", "headers")),
    "generic_call": (OpKind.CALL, ("service", "handler", "arg", "key", "idempotency_key", "headers", "scope", "limit_key")),
    "generic_send": (OpKind.SEND, ("service", "handler", "arg", "key", "send_delay", "idempotency_key", "headers", "scope", "limit_key")),
}
_SCOPED_CALLS = {
    "service_call": ("tpe", "arg", "limit_key", "idempotency_key", "headers"),
    "service_send": ("tpe", "arg", "send_delay", "limit_key", "idempotency_key", "headers"),
    "object_call": ("tpe", "key", "arg", "limit_key", "idempotency_key", "headers"),
    "object_send": ("tpe", "key", "arg", "send_delay", "limit_key", "idempotency_key", "headers"),
    "workflow_call": ("tpe", "key", "arg", "limit_key", "idempotency_key", "headers"),
    "workflow_send": ("tpe", "key", "arg", "send_delay", "limit_key", "idempotency_key", "headers"),
}
_SIMPLE: dict[str, tuple[OpKind, tuple[str, ...], dict[str, str | tuple[str, ...]]]] = {
    # method: (kind, parameters, {field: parameter})
    "get": (OpKind.GET_STATE, ("name", "serde", "type_hint", "entry_name"), {"key": "name", "name": "entry_name"}),
    "state_keys": (OpKind.STATE_KEYS, ("entry_name",), {"name": "entry_name"}),
    "set": (OpKind.SET_STATE, ("name", "value", "serde", "entry_name"), {"key": "name", "value": ("value", "serde"), "name": "entry_name"}),
    "clear": (OpKind.CLEAR_STATE, ("name", "entry_name"), {"key": "name", "name": "entry_name"}),
    "clear_all": (OpKind.CLEAR_ALL_STATE, ("entry_name",), {"name": "entry_name"}),
    "awakeable": (OpKind.AWAKEABLE, ("serde", "type_hint"), {}),
    "resolve_awakeable": (OpKind.COMPLETE_AWAKEABLE, ("name", "value", "serde"), {"awakeable_id": "name", "value": ("value", "serde")}),
    "reject_awakeable": (OpKind.COMPLETE_AWAKEABLE, ("name", "failure_message", "failure_code"), {"awakeable_id": "name", "value": ("failure_message", "failure_code")}),
    "signal": (OpKind.SIGNAL, ("name", "serde", "type_hint"), {"signal": "name"}),
    "resolve_signal": (OpKind.SEND_SIGNAL, ("invocation_id", "name", "value", "serde"), {"invocation_id": "invocation_id", "signal": "name", "value": ("value", "serde")}),
    "reject_signal": (OpKind.SEND_SIGNAL, ("invocation_id", "name", "failure_message", "failure_code"), {"invocation_id": "invocation_id", "signal": "name", "value": ("failure_message", "failure_code")}),
    "cancel_invocation": (OpKind.CANCEL_INVOCATION, ("invocation_id",), {"invocation_id": "invocation_id"}),
    "attach_invocation": (OpKind.ATTACH_INVOCATION, ("invocation_id", "serde", "type_hint"), {"invocation_id": "invocation_id"}),
}
_NOT_JOURNALED = frozenset({"request", "key", "random", "uuid", "promise", "scope"})
_PROMISE_PARAMS = ("name", "serde", "type_hint")
_FAILURE = ("failure_message", "failure_code")
"""The parameters of a rejection (`reject_awakeable`, `reject_signal`; a promise's `reject` names them `message`, `code`)."""
_SDK_SERDES = {"restate.serde.DefaultSerde": "default", "restate.serde.PydanticJsonSerde": "pydantic"}
"""The SDK's serdes that write a value as the default one does (`_ShapeBuilder._sdk_serde`)."""
_REPLAYED = frozenset({"run", "run_typed", "time", "get", "state_keys", "attach_invocation",
                       *(m for m, (kind, _) in _CALLS.items() if kind is OpKind.CALL)})
"""Context methods whose result the journal replays, their `Op` placed at the call."""
_COUNT_KEEPING = frozenset({"list", "tuple", "sorted", "reversed", "enumerate", "iter"})
_EXT = ("adk", "openai", "pydantic", "langchain")
ACCESSORS = frozenset({"restate.server_context.current_context", "restate.extensions.current_context",
                       *(f"restate.ext.{e}.{f}" for e in _EXT for f in ("restate_context", "restate_object_context"))})
"""Calls that return the current invocation's context: the SDK sets it (a context variable)
to the very context it passes the handler (restate-sdk 1.3 `ServerInvocationContext.enter`),
so in the handler's code they are its context."""
INTEGRATIONS = frozenset({
    "restate.ext.adk.RestatePlugin", "restate.ext.adk.RestateSessionService", "restate.ext.adk.RestateEventSummarizer",
    "restate.ext.openai.DurableRunner", "restate.ext.openai.durable_function_tool", "restate.ext.langchain.RestateMiddleware",
    "restate.ext.pydantic.RestateAgent", "restate.ext.pydantic.RestateModelWrapper", "restate.ext.pydantic.RestateContextRunToolSet",
})
"""The SDK's agent integrations: objects that journal through the current context (an
`ACCESSORS` call) from inside an agent framework, where rea cannot follow."""
_COPIES = frozenset({"model_copy", "copy"})
"""A pydantic model's methods that return a copy of it (`copy`: pydantic v1's)."""
_VALIDATES = frozenset({"model_validate", "model_validate_json", "model_validate_strings", "parse_obj", "parse_raw"})
"""A pydantic model class's methods that return a validated instance of it (v2's, then v1's; not
`model_construct`, whose dump leaves out the required fields it was not given)."""
_PROMISE_METHODS = {"value": OpKind.GET_PROMISE, "peek": OpKind.PEEK_PROMISE, "resolve": OpKind.COMPLETE_PROMISE, "reject": OpKind.COMPLETE_PROMISE}


class _ShapeBuilder:
    """Walks one function's statements in execution order, producing its shape."""

    def __init__(
        self,
        project: _Project,
        mod: _Module,
        fn: Function,
        contexts: frozenset[str],
        env: Mapping[str, str],
        depth: int,
        stack: tuple[str, ...],
        via: tuple[str, ...],
    ) -> None:
        self.p = project
        self.mod = mod
        self.m = mod.model
        self.fn = fn
        self.contexts = contexts
        # (the hooks hold the project, module and function, never this builder: a builder that
        # its fingerprinter held would be a reference cycle, freed only by a collection)
        self.fp = Fingerprinter(self.m, fn, env, contexts, handler_of=partial(_called_handler, project, mod, fn),
                                imported=partial(_imported, project, mod.path),
                                imported_constant=partial(_imported_constant, project, mod.path),
                                run_named=partial(_run_named, project, mod, fn),
                                imported_code=partial(_imported_code, project, mod.path), path=mod.path,
                                definition_of=project.definition_of,
                                attribute_code=partial(_attribute_code, project, mod))
        self.fp.instance_attribute = partial(_instance_attribute, weakref.ref(self))  # (weak: the builder holds its fingerprinter)
        self.fp.instance_code = partial(_instance_code, weakref.ref(self))
        self.fp.chain_code = partial(_chain_code, weakref.ref(self))
        self.depth = depth
        self.stack = stack
        self.via = via
        self.promises: dict[str, ast.Call] = {}
        """Local name -> the `ctx.promise(...)` call it is bound to."""
        self.awakeables: dict[str, ast.Call] = {}
        """Local name -> the `ctx.awakeable(...)` call whose promise it is bound to (`_, p = ...`)."""
        self.handles: dict[str, str] = {}
        """Local name -> fingerprint of the call/send whose handle it holds."""
        self.tainted: dict[str, str] = {}
        """Local name -> the call it was built by, which received the context rea cannot
        follow (`saga = Saga(ctx)`): its methods may journal too."""
        self.accessed: set[str] = set()
        """Local names bound to an accessor's context (`ctx = restate_context()`)."""
        self._locals: dict[str, list[ast.expr]] | None = None
        self.instances: dict[str, tuple[Decoding, bool, tuple[str, ...] | None] | None] = {}
        """Local name -> `_instance_of` it, once per local whose attribute a fingerprint reads
        (`_instance_attribute`: most such reads are fields, each looked up for its class)."""

    # statements ------------------------------------------------------------------------------

    def block(self, body: Sequence[ast.stmt]) -> Node:
        done: list[tuple[ast.stmt, Node]] = []
        for stmt in body:
            node = self.stmt(stmt)
            done.append((stmt, node))
            if isinstance(node, (Exit, Jump)) or (isinstance(node, Seq) and node.items and isinstance(node.items[-1], (Exit, Jump))):
                break  # unreachable code after return/raise/break/continue
        items: list[Node] = []
        for k, (stmt, node) in enumerate(done):
            if isinstance(node, Branch) and isinstance(stmt, ast.If):
                node = self._guard(stmt, node, done[k + 1:])
            _append(items, node)
        return _seq(items)

    def _guard(self, stmt: ast.If, branch: Branch, after: Sequence[tuple[ast.stmt, Node]]) -> Branch:
        """An `if` on whether an iterable is empty (`not items`, `len(items) == 0`, `items is
        None`), followed by a `for` over it with nothing that journals or decides between: its
        branch names the loop (`Branch.nonempty`). An invocation whose journal shows the loop
        ran is one whose iterable was not empty, so the guard went the way a non-empty one
        goes (a container that yields something is true, and not None)."""
        found = _emptiness(stmt.test, self._shadowed("len"))
        if found is None or (not stmt.orelse and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.If) and not stmt.body[0].orelse):
            return branch  # (`if items: if x:` may be one branch on `items and x`: `_collapsed`)
        tested, arm = found
        if positive_test(stmt.test)[1]:  # (its branch has the arms the other way round: `_if`)
            arm = 1 - arm
        read = {n.id for n in ast.walk(tested) if isinstance(n, ast.Name)}
        untouched = True
        """No statement between names what the test reads (`items = rest`, `items.clear()`)."""
        for s, node in after:
            if isinstance(s, (ast.For, ast.AsyncFor)) and isinstance(node, Loop):
                # the same value: its fingerprint, or its text where nothing between touches it (a local
                # is fingerprinted by where it is read: its value in place, before the `if`, and as its
                # assignments, past it)
                if node.condition == _LOOP + self.fp.of(self._counted(tested)) or (
                        untouched and ast.unparse(self._counted(s.iter)) == ast.unparse(tested)):  # (not `ast.dump`: a cycle)
                    return replace(branch, nonempty=(node.condition, arm))
                break
            if not _is_empty(node):
                break
            untouched = untouched and not any(isinstance(n, ast.Name) and n.id in read for n in ast.walk(s))
        return branch

    def stmt(self, s: ast.stmt) -> Node:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return _seq([self.expr(d) for d in s.decorator_list])
        if isinstance(s, ast.Return):
            return _seq([self.expr(s.value), self._exit("return", s)])
        if isinstance(s, ast.Raise):
            return _seq([self.expr(s.exc), self.expr(s.cause), self._exit("raise", s, s.exc)])
        if isinstance(s, ast.Assert):
            # `assert test, msg` runs as `if not test: raise AssertionError(msg)` (services run
            # without `python -O`): a test that changed changes where invocations end
            fail = _seq([self.expr(s.msg), self._exit("raise", s, ast.Name("AssertionError"))])
            return _seq([self.expr(s.test), self._if(s.test, s.lineno, EMPTY, fail)])
        if isinstance(s, (ast.Break, ast.Continue)):
            return Jump("break" if isinstance(s, ast.Break) else "continue", s.lineno)
        if isinstance(s, ast.If):
            test = self.expr(s.test)
            collapsed = self._collapsed(s) if _is_empty(test) else None
            if collapsed is not None:
                tests, innermost = collapsed
                text = " and ".join(_text(t) for t in tests)
                joined = ast.copy_location(ast.BoolOp(ast.And(), [v for t in tests for v in _conjuncts(t)]), s.test)
                return self._if(joined, s.lineno, self.block(innermost), EMPTY, text=shorten(text))
            return _seq([test, self._if(s.test, s.lineno, self.block(s.body), self.block(s.orelse))])
        if isinstance(s, (ast.For, ast.AsyncFor)):
            it = self.expr(s.iter)
            self._unbind_awakeables(s.target)
            body, orelse = self.block(s.body), self.block(s.orelse)
            if _is_empty(body) and _is_empty(orelse):
                return it
            counted = self._counted(s.iter)
            return _seq([it, Loop(_LOOP + self.fp.of(counted), _text(s.iter), s.lineno, body, orelse, path=self.mod.path,
                                  anchor=self._anchor(counted, counted=True), count=self._static_count(counted))])
        if isinstance(s, ast.While):
            test = self.expr(s.test)
            body, orelse = self.block(s.body), self.block(s.orelse)
            if not _is_empty(test):
                # a polling loop (`while await ctx.run(...) == PENDING: await ctx.sleep(...)`): the
                # condition journals before the first iteration and after each one
                if _continues(body):  # (a `continue` would skip the condition's operations)
                    return Unknown("a context call in a `while` condition whose body has a `continue`", self.mod.path, s.lineno, s.col_offset)
                return _seq([test, Loop(_LOOP + self.fp.of_test(s.test), _text(s.test), s.lineno, _seq([body, test]), orelse, path=self.mod.path,
                                        anchor=self._anchor(s.test))])
            if _is_empty(body) and _is_empty(orelse):
                return EMPTY
            endless = isinstance(s.test, ast.Constant) and bool(s.test.value)
            return Loop(_LOOP + self.fp.of_test(s.test), _text(s.test), s.lineno, body, orelse, endless, self.mod.path,
                        None if endless else self._anchor(s.test))
        if isinstance(s, (ast.With, ast.AsyncWith)):
            items: list[Node] = []
            for item in s.items:
                node = self.expr(item.context_expr)
                items.append(node)
                if item.optional_vars is not None:
                    self._unbind_awakeables(item.optional_vars)
                    self._taint([item.optional_vars], node, item.context_expr)
            items.append(self.block(s.body))
            return _seq(items)
        if isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            body = self.block(s.body)  # type: ignore[attr-defined]
            clauses = tuple(catch_of(self.m, self.mod.path, self.fn, h, self.p.class_at) for h in s.handlers)  # type: ignore[attr-defined]
            if clauses:
                body = _catchable(body, clauses)
            handlers = tuple(self.block(h.body) for h in s.handlers)  # type: ignore[attr-defined]
            orelse, final = self.block(s.orelse), self.block(s.finalbody)  # type: ignore[attr-defined]
            if all(_is_empty(n) for n in (body, *handlers, orelse, final)):
                return EMPTY
            if all(_is_empty(n) for n in handlers) and not _has_ops(body) and not _caught_raise(body):
                return _seq([body, orelse, final])
            return Try(body, handlers, orelse, final, s.lineno, clauses)
        if isinstance(s, ast.Match):
            subject = self.expr(s.subject)
            chain = self._match_chain(s)
            if chain is not None:
                return _seq([subject, chain])
            arms = [self.block(c.body) for c in s.cases]
            last = s.cases[-1].pattern if s.cases else None
            if not (isinstance(last, ast.MatchAs) and last.pattern is None and s.cases[-1].guard is None):
                arms.append(EMPTY)  # no case matched
            decided_by = ast.Match(subject=s.subject, cases=[_unnamed_captures(c) for c in s.cases])
            return _seq([subject, self.branch(s.subject, s.lineno, arms, decided_by)])
        if isinstance(s, ast.Assign):
            node = self.expr(s.value)
            self._track(s.targets, s.value)
            self._taint(s.targets, node, s.value)
            return _seq([node, *(self.expr(t) for t in s.targets if not isinstance(t, ast.Name))])
        if isinstance(s, ast.AnnAssign):
            node = self.expr(s.value)
            if s.value is not None:
                self._track([s.target], s.value)
                self._taint([s.target], node, s.value)
            return node
        if isinstance(s, ast.AugAssign):
            return _seq([self.expr(s.target) if not isinstance(s.target, ast.Name) else EMPTY, self.expr(s.value)])
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            return self.call(s.value, dropped=True)
        parts = [self.expr(child) for child in ast.iter_child_nodes(s) if isinstance(child, ast.expr)]
        return _seq(parts)

    def _counted(self, it: ast.expr) -> ast.expr:
        """What decides how often a `for` runs: its iterable inside builtins that keep the count
        (`list(x)`, `sorted(x, key=k)`, `enumerate(x)`): a loop's decisions are only whether it
        iterates again (karam94/restate-examples ffb6eea978 read `for s in list(x)` as a changed
        loop)."""
        while (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id in _COUNT_KEEPING
               and len(it.args) == 1 and not isinstance(it.args[0], ast.Starred) and not self._shadowed(it.func.id)):
            it = it.args[0]
        return it

    def _static_count(self, it: ast.expr) -> int | None:
        """How many items ``it`` yields, where the code says so: `range(...)` of int literals (a
        module constant, a helper's parameter left at a literal default: `Fingerprinter.constant`),
        a literal tuple or list without `*`, a string literal; None for anything else."""
        if isinstance(it, (ast.Tuple, ast.List)):
            return None if any(isinstance(e, ast.Starred) for e in it.elts) else len(it.elts)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and 1 <= len(it.args) <= 3 \
                and not it.keywords and not self._shadowed("range"):
            literals = [self.fp.constant(a) for a in it.args]
            bounds = [b.value for b in literals if b is not None and type(b.value) is int]
            if len(bounds) != len(literals) or (len(bounds) == 3 and bounds[2] == 0):
                return None
            return len(range(*bounds))
        literal = self.fp.constant(it)
        return len(literal.value) if literal is not None and isinstance(literal.value, (str, bytes)) else None

    def _shadowed(self, name: str) -> bool:
        """Is ``name`` bound by the code (a local, a module name, an import), not the builtin?"""
        scope: Function | None = self.fn
        while scope is not None:
            if name in scope.local_names or name in scope.children:
                return True
            scope = scope.parent
        return name in self.m.module_names or name in self.m.imports.names

    def _track(self, targets: Sequence[ast.expr], value: ast.expr) -> None:
        """Remember names bound to a durable promise or a call handle (their methods journal)."""
        inner = value.value if isinstance(value, ast.Await) else value
        for t in targets:
            for bound in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(bound, ast.Name):
                    self.awakeables.pop(bound.id, None)
            if (isinstance(t, (ast.Tuple, ast.List)) and len(t.elts) == 2 and isinstance(t.elts[1], ast.Name)
                    and isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr == "awakeable" and self._is_ctx(inner.func.value)):
                self.awakeables[t.elts[1].id] = inner  # (`id, promise = ctx.awakeable()`: awaiting it is a `WAIT`)
            if not isinstance(t, ast.Name):
                continue
            self.promises.pop(t.id, None)
            self.handles.pop(t.id, None)
            if self._accessor(inner):
                self.accessed.add(t.id)
            else:
                self.accessed.discard(t.id)
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and self._is_ctx(inner.func.value):
                if inner.func.attr == "promise":
                    self.promises[t.id] = inner
                elif inner.func.attr in _CALLS:
                    self.handles[t.id] = self.fp.of(inner)

    def _exit(self, how: str, s: ast.stmt, exc: ast.expr | None = None) -> Exit:
        raised = raised_by(self.m, self.mod.path, self.fn, exc, self.p.class_at) if how == "raise" else None
        return Exit(how, s.lineno, self.mod.path, self.p.sources[self.mod.path], (s.col_offset, s.end_lineno or s.lineno, s.end_col_offset or 0),
                    raised=raised)

    def _unbind_awakeables(self, target: ast.expr) -> None:
        """A loop or `with` rebinds these names: none holds an awakeable's promise any more."""
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                self.awakeables.pop(n.id, None)

    def _taint(self, targets: Sequence[ast.expr], node: Node, value: ast.expr) -> None:
        for t in targets:
            if isinstance(t, ast.Name):
                if _has_unknown(node) or (isinstance(value, ast.Name) and value.id in self.tainted):
                    self.tainted[t.id] = _text(value)
                else:
                    self.tainted.pop(t.id, None)

    def _match_chain(self, s: ast.Match) -> Node | None:
        """A `match` on a name whose cases are literals (`case "a":`, `case Status.NEW:`, `case
        None:`), none guarded, the last maybe `case _:`: the `if`/`elif` chain of `==` (`is`)
        tests it is (the `if` chain it replaced, or back, decides alike). None for any other."""
        subject = s.subject
        while isinstance(subject, ast.Attribute):
            subject = subject.value
        if not isinstance(subject, ast.Name) or not s.cases:
            return None
        tests: list[tuple[ast.expr, str] | None] = []
        for k, case in enumerate(s.cases):
            pattern = case.pattern
            if case.guard is not None:
                return None
            op: ast.cmpop
            if isinstance(pattern, ast.MatchValue):
                op, value = ast.Eq(), pattern.value
            elif isinstance(pattern, ast.MatchSingleton):
                op, value = ast.Is(), ast.Constant(pattern.value)
            elif isinstance(pattern, ast.MatchAs) and pattern.pattern is None and pattern.name is None and k == len(s.cases) - 1:
                tests.append(None)  # `case _:`, the `else`
                continue
            else:
                return None
            test = ast.copy_location(ast.Compare(s.subject, [op], [value]), pattern)
            written = _text(value) if isinstance(pattern, ast.MatchValue) else repr(pattern.value)
            tests.append((test, f"{_text(s.subject)} {'==' if isinstance(op, ast.Eq) else 'is'} {written}"))
        bodies = [self.block(case.body) for case in s.cases]  # (in order: a body's bindings are seen by the next)
        node: Node = EMPTY
        for found, body, case in reversed(list(zip(tests, bodies, s.cases))):
            node = body if found is None else self._if(found[0], case.pattern.lineno, body, node, text=found[1])
        return node

    def _collapsed(self, s: ast.If) -> tuple[list[ast.expr], list[ast.stmt]] | None:
        """The tests and innermost body of `if a:` whose whole body is `if b:`, neither with an
        `else` (ruff's SIM102 makes it `if a and b:`), where the inner tests journal nothing:
        one condition, as the `and` it is (None: not such an `if`)."""
        tests, body = [s.test], s.body
        while not s.orelse and len(body) == 1 and isinstance(body[0], ast.If) and not body[0].orelse:
            s = body[0]
            if not _is_empty(self.expr(s.test)):
                break
            tests.append(s.test)
            body = s.body
        return (tests, body) if len(tests) > 1 else None

    def _if(self, test: ast.expr, line: int, then: Node, orelse: Node, text: str | None = None) -> Node:
        """`then` where ``test`` is true, else `orelse`, on its positive test (`fingerprint.positive_test`): `if
        not x: A else: B` is `if x: B else: A`, and a guard clause (`if not req: return`) is
        the `if req:` it replaced."""
        positive, negated = positive_test(test)
        arms = [orelse, then] if negated else [then, orelse]
        return self.branch(positive, line, arms, anchored=(positive, False), text=_text(test) if text is None else text)

    def branch(self, test: ast.AST, line: int, arms: list[Node], decided_by: ast.AST | None = None,
               anchored: tuple[ast.expr, bool] | None = None, text: str | None = None) -> Node:
        """A choice among ``arms`` on ``test``; ``decided_by``: what decides it, if more than
        ``test`` (a `match` on its subject is decided by the subject and its cases' patterns and
        guards, not by what the cases do); ``anchored``: for two arms, the expression whose truth
        runs the first one (`_anchor`), and whether it runs it when false instead."""
        if all(_is_empty(a) for a in arms):
            return EMPTY
        anchor = self._anchor(*anchored) if anchored is not None and len(arms) == 2 else None
        return Branch(self.fp.of(decided_by) if decided_by is not None else self.fp.of_test(test), _text(test) if text is None else text, line,
                      tuple(arms), self.mod.path, anchor)

    def _anchor(self, test: ast.expr, negated: bool = False, counted: bool = False) -> Anchor | None:
        """What a condition's truth is computed from, in journal entries (`Fingerprinter.anchored`;
        a handler's own parameters are its input); ``counted``: ``test`` is what a loop iterates
        over, read whole (not a name tested for being there)."""
        found = self.fp.anchored(test, self._replayed, self.depth == 0, presence=not counted)
        if found is None:
            return None
        text, calls = found
        return Anchor(text, tuple((self.mod.path, c.lineno, c.col_offset) for c in calls), negated, counted)

    def _replayed(self, call: ast.Call) -> bool | None:
        """For `Fingerprinter.anchored`: True for a context call whose result the journal replays
        (placed as its `Op` is); False for any other context call, and a call that journals
        through an accessor or a closure, or runs an agent integration (what it returns is not
        the text's); None for any other call."""
        func = call.func
        if isinstance(func, ast.Attribute) and self._is_ctx(func.value):
            return func.attr in _REPLAYED
        if (self._accessor(call) or self._local_closure(func) is not None or self._accessing(func) is not None
                or self._integration(func) is not None):
            return False
        return None

    # expressions -----------------------------------------------------------------------------

    def expr(self, node: ast.AST | None) -> Node:
        """The operations an expression journals, in evaluation order."""
        if node is None or isinstance(node, ast.Constant):
            return EMPTY
        if isinstance(node, ast.Lambda):
            own = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
            return self._stored(node, self.expr(node.body)) if self._uses_ctx(node.body, own) else EMPTY
        if isinstance(node, ast.Name):
            if node.id in self.contexts and isinstance(node.ctx, ast.Load):
                return Unknown(f"the context `{node.id}` is used as a value here; what is done with it cannot be followed", self.mod.path, node.lineno, node.col_offset, self.fp.of(node))
            closure = self._local_closure(node) if isinstance(node.ctx, ast.Load) else None
            if closure is not None and set(closure.contexts) - set(closure.own_contexts) - set(closure.params):
                # (one that takes a context of its own is a handler or a callback, not a closure)
                builder = _ShapeBuilder(self.p, self.mod, closure, frozenset(set(closure.contexts) & set(self.contexts)), {},
                                      self.depth + 1, self.stack, self.via)
                return self._stored(node, builder.block(closure.node.body))
            return EMPTY
        if isinstance(node, ast.Attribute) and self._is_ctx(node.value):
            return EMPTY  # reading an attribute of the context journals nothing
        if isinstance(node, ast.Await):
            inner = node.value
            if isinstance(inner, ast.Name) and inner.id in self.promises:
                return self._promise_op(OpKind.GET_PROMISE, self.promises[inner.id], node)
            if isinstance(inner, ast.Name) and inner.id in self.awakeables:
                made = self.awakeables[inner.id]
                return Step(self._op(OpKind.WAIT, node, {"awakeable": Field(
                    text=_text(made), literal=(self.mod.path, made.lineno, made.col_offset), is_literal=True)}))
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "promise" and self._is_ctx(inner.func.value):
                return _seq([self._args(inner), self._promise_op(OpKind.GET_PROMISE, inner, node)])
            return self.expr(inner)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.IfExp):
            test = self.expr(node.test)
            return _seq([test, self._if(node.test, node.lineno, self.expr(node.body), self.expr(node.orelse))])
        if isinstance(node, ast.BoolOp):
            first = self.expr(node.values[0])
            rest = _seq([self.expr(v) for v in node.values[1:]])
            # (`a or b` goes on to `b` when `a` is false)
            return _seq([first, self.branch(node.values[0], node.lineno, [rest, EMPTY], anchored=(node.values[0], isinstance(node.op, ast.Or)))])
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self._comprehension(node)
        return _seq([self.expr(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.AST)])

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> Node:
        """Its first iterable, then a loop over it (decided by the journal where the iterable is
        computed from journal entries, as a `for`'s is) whose body runs each inner generator's
        loop, each `if` as a branch (a filter changed changes which items the element runs for),
        and the element."""
        generators = node.generators
        body = _seq([self.expr(node.key), self.expr(node.value)]) if isinstance(node, ast.DictComp) else self.expr(node.elt)
        for k in range(len(generators) - 1, -1, -1):
            gen = generators[k]
            for test in reversed(gen.ifs):  # (`if a if b`: `b` is evaluated only where `a` held)
                branch = self.branch(_iterated(test, generators), test.lineno, [body, EMPTY], text=_text(test))
                body = _seq([self.expr(test), branch])
            if k > 0:
                inner = EMPTY if _is_empty(body) else Loop(
                    _LOOP + self.fp.of(self._counted(gen.iter)), _text(gen.iter), node.lineno, body, EMPTY, path=self.mod.path)
                body = _seq([self.expr(gen.iter), inner])
        first = self.expr(generators[0].iter)
        if _is_empty(body):
            return first
        counted = self._counted(generators[0].iter)
        return _seq([first, Loop(_LOOP + self.fp.of(counted), _text(generators[0].iter), node.lineno, body, EMPTY, path=self.mod.path,
                                 anchor=self._anchor(counted, counted=True), count=self._static_count(counted))])

    def _uses_ctx(self, node: ast.AST, own: Iterable[str] = ()) -> bool:
        """Does ``node`` call a method of a context it captures (not one of ``own`` parameters)?"""
        own = set(own)
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and self._is_ctx(n.func.value)
                   and not (isinstance(n.func.value, ast.Name) and n.func.value.id in own) for n in ast.walk(node))

    def _stored(self, node: ast.expr, body: Node) -> Step:
        """A lambda or nested def that journals, kept as a value rather than called here (a
        saga's `compensations.append(lambda: ctx.service_call(cancel, ...))`): it journals
        nothing here, and wherever it is called later, which rea does not follow. Its `code` is
        its shape (what it journals, with the fields replay compares), so the same one on both
        sides journals the same (`compare.compare_handlers`)."""
        return Step(self._op(OpKind.STORED, node, {"code": Field(text=_text(node), fingerprint=shape_key(body))}))

    def _is_ctx(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.contexts or node.id in self.accessed
        return self._accessor(node)

    def _accessor(self, node: ast.AST) -> bool:
        """A call of an `ACCESSORS` function: the handler's own context."""
        return (isinstance(node, ast.Call) and not node.args and not node.keywords
                and self.mod.resolver.target(node.func, self.fn) in ACCESSORS)

    def _integration(self, func: ast.expr, hops: int = 12) -> str | None:
        """What a called object is built on that journals through the current context: an
        `INTEGRATIONS` name, or a project class or function that calls an accessor (`runner.run_async`
        where `runner = Runner(app=App(plugins=[RestatePlugin()]))`), following simple assignments
        in the function and at module level; None if nothing is."""
        base = func
        while isinstance(base, (ast.Attribute, ast.Call)):
            base = base.value if isinstance(base, ast.Attribute) else base.func
        if not isinstance(base, ast.Name):
            return None
        local = self._local_values()
        seen: set[str] = set()
        todo = [base.id]
        while todo and hops > 0:
            name = todo.pop()
            if name in seen:
                continue
            hops -= 1
            seen.add(name)
            qual = self.m.imports.names.get(name)
            if qual in INTEGRATIONS:
                return qual
            values = local.get(name) or ([v] if (v := self.m.module_values.get(name)) is not None else [])
            if qual is not None and not values and self._project_accessor(qual):
                return qual
            if not values and name in self.m.module_names and self._project_accessor(f"{self.mod.name}.{name}"):
                return name
            for value in values:
                todo.extend(n.id for n in ast.walk(value) if isinstance(n, ast.Name))
        return None

    def _local_values(self) -> dict[str, list[ast.expr]]:
        """Local name -> the values plainly assigned to it in this function (`_integration`
        asks at every call that hands no context on: gathered once)."""
        if self._locals is None:
            self._locals = {}
            for n in ast.walk(self.fn.node):
                if isinstance(n, ast.Assign):
                    for t in n.targets:
                        if isinstance(t, ast.Name):
                            self._locals.setdefault(t.id, []).append(n.value)
        return self._locals

    def _project_accessor(self, qual: str) -> bool:
        """Does the project function or class ``qual`` call an accessor (`current_context()`)?"""
        parts = qual.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            mod = self.p.module(".".join(parts[:cut]), self.mod.path)
            if mod is None:
                continue
            rest = ".".join(parts[cut:])
            return any(_calls_accessor(mod, fn) for name, fn in mod.functions.items()
                       if name == rest or name.startswith(rest + "."))
        return False

    def _args(self, call: ast.Call, skip: Iterable[int] = (), skip_kw: Iterable[str] = ()) -> Node:
        skip, skip_kw = set(skip), set(skip_kw)
        parts = [self.expr(a) for i, a in enumerate(call.args) if i not in skip]
        parts += [self.expr(k.value) for k in call.keywords if k.arg not in skip_kw]
        return _seq(parts)

    def call(self, call: ast.Call, dropped: bool = False) -> Node:
        """What a call journals. ``dropped``: its value is thrown away (an expression
        statement), so a coroutine it makes never runs."""
        func = call.func
        if isinstance(func, ast.Attribute):
            recv = func.value
            if self._is_ctx(recv):
                return self.context_call(call, func.attr, recv.id if isinstance(recv, ast.Name) else _text(recv))
            if isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute) and self._is_ctx(recv.func.value):
                if recv.func.attr == "scope" and func.attr in _SCOPED_CALLS:
                    return _seq([self._args(recv), self._call_op(call, func.attr, scope=_arg(recv, ("scope",), "scope"))])
                if recv.func.attr == "promise" and func.attr in _PROMISE_METHODS:
                    return _seq([self._args(recv), self._args(call), self._promise_op(_PROMISE_METHODS[func.attr], recv, call)])
            if isinstance(recv, ast.Name) and recv.id in self.promises and func.attr in _PROMISE_METHODS:
                return _seq([self._args(call), self._promise_op(_PROMISE_METHODS[func.attr], self.promises[recv.id], call)])
            if isinstance(recv, ast.Name) and recv.id in self.tainted:
                before = self._args(call)
                return _seq([before, Unknown(
                    f"`{recv.id}` was built by `{self.tainted[recv.id]}`, which received the context; what `{recv.id}.{func.attr}()` journals cannot be followed",
                    self.mod.path, call.lineno, call.col_offset, self.fp.of(call))])
            if isinstance(recv, ast.Name) and recv.id in self.handles and func.attr == "cancel_invocation":
                op = self._op(OpKind.CANCEL_INVOCATION, call, {"invocation_id": Field(text=f"{recv.id}.invocation_id()", fingerprint="handle:" + self.handles[recv.id])})
                return Step(op)
        passes = [a for a in (*call.args, *(k.value for k in call.keywords)) if self._is_ctx(a) or (isinstance(a, ast.Starred) and self._is_ctx(a.value))]
        target = self._local_closure(func)
        if not passes and target is None:
            accessing = self._accessing(func)
            if accessing is not None:
                return _seq([self._args(call), self.helper(call, None, dropped, accessing)])
            integration = self._integration(func)
            if integration is not None:
                return _seq([self._args(call), Unknown(
                    f"`{_text(call)}` runs code built on `{integration}`, which journals through the invocation's context "
                    "(taken from an accessor such as `current_context()`) inside the agent framework: what it journals cannot be followed",
                    self.mod.path, call.lineno, call.col_offset, self.fp.of(call))])
            return _seq([self.expr(func) if not isinstance(func, ast.Name) else EMPTY, self._args(call)])
        before = _seq([self.expr(func) if isinstance(func, ast.Attribute) and not self._is_ctx(func.value) and isinstance(func.value, ast.Call) else EMPTY,
                       _seq([self.expr(a) for a in call.args if not self._is_ctx(a)]),
                       _seq([self.expr(k.value) for k in call.keywords if not self._is_ctx(k.value)])])
        return _seq([before, self.helper(call, target, dropped)])

    def _accessing(self, func: ast.expr) -> tuple[_Module, Function] | None:
        """A project function called without the context that takes it from an accessor
        (`restate_context()`): inlined, since it journals in the caller's journal."""
        qual = self.mod.resolver.target(func, self.fn) if isinstance(func, (ast.Name, ast.Attribute)) else None
        found = self.p.resolve(qual, self.mod.path) if qual else None
        if found is None:
            return None
        return found if _calls_accessor(*found) else None

    def _local_closure(self, func: ast.expr) -> Function | None:
        """A nested def called by name whose body uses an enclosing context."""
        if not isinstance(func, ast.Name):
            return None
        scope: Function | None = self.fn
        while scope is not None:
            child = scope.children.get(func.id)
            if child is not None:
                used = set(child.contexts) & set(self.contexts)
                return child if used and self.m.contains_restate_operation(child.node.body, child) else None
            if func.id in scope.local_names:
                return None
            scope = scope.parent
        return None

    def helper(self, call: ast.Call, closure: Function | None, dropped: bool = False,
               accessing: tuple[_Module, Function] | None = None) -> Node:
        """A call that hands the context to a function: its shape, inlined; else unknown.

        A handler function called directly (`balance = await get_balance(ctx)`) is inlined like
        any helper: the SDK's handler decorator returns a wrapper that only calls the function
        (restate-sdk 1.3, `Service.handler`), so the call journals the handler's own operations
        in the caller's journal, nothing more.

        An `async def` called as a statement without `await` (``dropped``) makes a coroutine
        that is never run: it journals nothing (restatedev/sdk-python's test services had
        `resolve_awakeable(ctx, cmd)` so until a commit added the `await`)."""
        text = source_text(call)
        opaque = self.fp.of(call)
        if closure is not None:
            found: tuple[_Module, Function] | None = (self.mod, closure)
        elif accessing is not None:
            found = accessing
        else:
            qual = self.mod.resolver.target(call.func, self.fn) or ""
            found = self.p.resolve(qual, self.mod.path) if qual else None
        if found is None:
            where = dotted(call.func) or _text(call.func)
            return Unknown(f"the context is passed to `{where}()`, which rea cannot see into", self.mod.path, call.lineno, call.col_offset, opaque)
        mod, fn = found
        if dropped and _never_runs(fn):
            return EMPTY
        key = f"{mod.path}:{fn.qualname}"
        if key in self.stack:
            return Unknown(f"`{text}` calls itself (recursion): how many operations it journals is not known", self.mod.path, call.lineno, call.col_offset, opaque)
        if self.depth >= _MAX_INLINE_DEPTH:
            return Unknown(f"`{text}` is nested more than {_MAX_INLINE_DEPTH} helpers deep", self.mod.path, call.lineno, call.col_offset, opaque)
        contexts, env = self._bind(call, fn)
        if closure is not None:
            contexts = frozenset(contexts | (set(closure.contexts) & set(self.contexts)))
        if not contexts and accessing is None:
            return Unknown(f"the context passed to `{text}` does not land on a parameter rea can name", self.mod.path, call.lineno, call.col_offset, opaque)
        builder = _ShapeBuilder(self.p, mod, fn, contexts, env, self.depth + 1, (*self.stack, key), (*self.via, f"{text} ({self.mod.path}:{call.lineno})"))
        body = builder.block(fn.node.body)
        if _returns_nested(body):  # (an agent loop: `while True: ... if done: return r`)
            return Inlined(_return_jumps(body), call.lineno)
        return _returning(body, EMPTY)

    def _bind(self, call: ast.Call, fn: Function) -> tuple[frozenset[str], dict[str, str]]:
        a = fn.node.args
        positional = [p.arg for p in (*a.posonlyargs, *a.args)]
        named = set(positional) | {p.arg for p in a.kwonlyargs}
        contexts: set[str] = {n for n, c in fn.own_contexts.items()}
        env: dict[str, str] = {}
        offset = 1 if positional and positional[0] in ("self", "cls") and isinstance(call.func, ast.Attribute) else 0
        for i, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                break
            j = i + offset
            if j < len(positional):
                name = positional[j]
                if self._is_ctx(arg):
                    contexts.add(name)
                else:
                    env[name] = self.fp.passed(arg, self._instance_of(arg))
        for kw in call.keywords:
            if kw.arg in named:
                if self._is_ctx(kw.value):
                    contexts.add(kw.arg)
                else:
                    env[kw.arg] = self.fp.passed(kw.value, self._instance_of(kw.value))
        if not any(isinstance(x, ast.Starred) for x in call.args) and all(k.arg is not None for k in call.keywords):
            # a parameter the call does not pass holds its default, which the helper's code may
            # change (`def keep(ctx, v=1)` became `v=2`: `keep(ctx)` sets another value)
            for name in named - env.keys() - contexts:
                if name not in positional[:offset]:
                    default = default_of(fn.node, name)
                    env[name] = Defaulted(default if isinstance(default, ast.Constant) else None)
        return frozenset(contexts), env

    # context calls ---------------------------------------------------------------------------

    def context_call(self, call: ast.Call, method: str, ctx: str) -> Node:
        if method in ("run", "run_typed"):
            if method == "run_typed":
                # name, action and options are positional-only: a `name=` keyword is the action's
                # (`ctx.run_typed("notify", send, name=req.name)`, restatedev/examples)
                name = call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else None
                args = self._args(call, skip={1})
            else:
                name = _arg(call, ("name",), "name")
                args = self._args(call, skip={1}, skip_kw={"action"})
            # (a name rea cannot find, as in `ctx.run(*step)`, is computed, not "")
            field = self._field(name) if name is not None else self._computed(call)
            return _seq([args, Step(self._op(OpKind.RUN, call, {"name": field}, self._decoded(call, method)))])
        if method == "time":
            return Step(self._op(OpKind.RUN, call, {"name": Field(text='"timestamp"', literal="timestamp", is_literal=True, fingerprint="timestamp")}))
        if method == "sleep":
            name = _arg(call, ("delta", "name"), "name")
            return _seq([self._args(call), Step(self._op(OpKind.SLEEP, call, {"name": self._field(name, empty="")}))])
        if method in _CALLS:
            return _seq([self._args(call), self._call_op(call, method)])
        if method in _SIMPLE:
            kind, params, mapping = _SIMPLE[method]
            fields: dict[str, Field] = {}
            for fname, pname in mapping.items():
                if isinstance(pname, tuple):
                    fields[fname] = self._payload(call, params, pname)
                else:
                    fields[fname] = self._field(_arg(call, params, pname))
            decoded = self._decoded(call, method) if method == "get" else None
            return _seq([self._args(call), Step(self._op(kind, call, fields, decoded))])
        if method in _NOT_JOURNALED:
            return self._args(call)
        return Unknown(f"`{ctx}.{method}()` is not a context method rea knows (restate-sdk 1.3)", self.mod.path, call.lineno, call.col_offset, self.fp.of(call))

    def _call_op(self, call: ast.Call, method: str, scope: ast.expr | None = None) -> Node:
        kind, params = _CALLS[method]
        if scope is not None:
            params = _SCOPED_CALLS[method]
        fields: dict[str, Field] = {}
        if method.startswith("generic_"):
            fields["service"] = self._field(_arg(call, params, "service"))
            fields["handler"] = self._field(_arg(call, params, "handler"))
        else:
            service, handler = self._target(_arg(call, params, "tpe"))
            fields["service"], fields["handler"] = service, handler
        fields["key"] = self._field(_arg(call, params, "key"), empty="")
        fields["parameter"] = self._payload(call, params, ("arg",), extra=("input_serde", "serde"),
                                            target=None if method.startswith("generic_") else _arg(call, params, "tpe"))
        fields["headers"] = self._field(_arg(call, params, "headers"), empty={})  # (the SDK sends None as no headers, as {})
        fields["idempotency_key"] = self._field(_arg(call, params, "idempotency_key"), empty=None)
        fields["scope"] = self._field(scope if scope is not None else _arg(call, params, "scope"), empty=None)
        fields["limit_key"] = self._field(_arg(call, params, "limit_key"), empty=None)
        decoded = self._call_decoded(_arg(call, params, "tpe")) if kind is OpKind.CALL and not method.startswith("generic_") else None
        return Step(self._op(kind, call, fields, decoded))

    def _call_decoded(self, tpe: ast.expr | None, whole: bool = False) -> Decoding | None:
        """The model a call's result is decoded into: the called handler's output serde, which
        restate-sdk 1.3 makes from its return annotation (`Optional[X]` as `X`; with ``whole``, not
        an Optional one: the result is then always an instance) for a pydantic model (a dataclass
        result arrives as a dict), unless its decorator names an `output_serde`."""
        found = self._called(tpe)
        if found is None:
            return None
        mod, fn = found
        returns = getattr(fn.node, "returns", None)
        if returns is None or _names_serde(fn, "output_serde"):
            return None
        decoded = self.p.annotated(mod, returns, optional=not whole)
        return decoded if decoded is not None and decoded.kind == "pydantic" else None

    def _called(self, tpe: ast.expr | None) -> tuple[_Module, Function] | None:
        """The project handler a handler reference names (`charge`, `billing.charge`), or None."""
        qual = self.mod.resolver.target(tpe, self.fn) if isinstance(tpe, (ast.Name, ast.Attribute)) else None
        found = self.p.resolve(qual, self.mod.path) if qual else None
        return found if found is not None and found[1].handler is not None else None

    def _target(self, tpe: ast.expr | None) -> tuple[Field, Field]:
        """The service and handler a handler reference names (`greet`, `greeter.greet`)."""
        if tpe is None:
            return Field(text="?", fingerprint="?"), Field(text="?", fingerprint="?")
        qual = self.mod.resolver.target(tpe, self.fn) if isinstance(tpe, (ast.Name, ast.Attribute)) else None
        names = _handler_at(self.p, self.mod, qual)
        if names is not None:
            service, handler = names
            return (
                Field(text=repr(service), literal=service, is_literal=True, fingerprint=repr(service)),
                Field(text=repr(handler), literal=handler, is_literal=True, fingerprint=repr(handler)),
            )
        text = _text(tpe)
        fp, trail = (f"target:{qual}", None) if qual else self.fp.traced(tpe)
        return Field(text=f"service of {text}", fingerprint=fp, trail=trail), Field(text=text, fingerprint=fp, trail=trail)

    def _payload(self, call: ast.Call, params: Sequence[str], names: Sequence[str], extra: Sequence[str] = (),
                 target: ast.expr | None | bool = False) -> Field:
        """A value replay compares the bytes of. ``target``: the handler reference of a call or send
        (None: a generic one, by name), whose input serde writes the parameter; False: not a call
        (`ctx.set`, resolving an awakeable or a signal: the SDK's default serde for the value's type)."""
        if tuple(names) == _FAILURE:
            return self._failure(call, params, *names)
        nodes = [_arg(call, params, n) for n in (*names, *extra)]
        shown = nodes[0]
        given = [n for n in nodes[1:] if n is not None]
        # (`ctx.set(k, v, serde=PydanticJsonSerde(Order))`: the SDK's own serde writes the bytes the
        # default one does, `model_dump_json()` of a model, whatever class it was made with)
        serde = "default" if not given else self._sdk_serde(given[0]) if target is False and len(given) == 1 else None
        if serde is not None:
            made = self._field(shown, empty=None)  # (None is written as no bytes, "" as '""')
            if shown is None or made.is_literal:
                return made
            writes = self._writes(shown, target, pydantic_only=serde == "pydantic")
            # (where `writes` compares the class, its keys and code, the computation is compared without it)
            computed = self.fp.with_and_without_classes(shown, made.fingerprint)[1]
            if writes is None and computed == made.fingerprint:
                return made  # (`computed` is read where a side has `writes`, or the two fingerprints differ)
            return replace(made, writes=writes, computed=computed)
        texts = ", ".join(_text(n) for n in nodes if n is not None)
        traced = [self.fp.traced(n) for n in nodes]
        made = Field(text=texts, fingerprint="|".join(t[0] for t in traced), trail=_merged_trails(t[1] for t in traced))
        if target is not False or len(given) != 1 or shown is None:
            return made
        # a serde of the project's own: the keys are a change if it writes them (rea cannot tell)
        writes = self._writes(shown, False)
        if writes is None:
            return made
        pairs = [self.fp.with_and_without_classes(n) for n in nodes if n is not None]
        return replace(made, writes=replace(writes, through=_text(given[0])), computed="|".join(p[1] for p in pairs))

    def _failure(self, call: ast.Call, params: Sequence[str], message: str, code: str) -> Field:
        """A rejection's failure: its message and code (500 when none is given, as the SDK's
        default), which replay compares (p115, p116); a literal when both are spelled out."""
        parts = [self._field(_arg(call, params, message)), self._field(_arg(call, params, code), empty=500)]
        text = ", ".join(f.describe() for f in parts)
        if all(f.is_literal for f in parts):
            return Field.of_literal(("failure", parts[1].literal, parts[0].literal), f"failure {text}")
        return Field(text=f"failure {text}", fingerprint="failure|" + "|".join(f.fingerprint for f in parts), trail=_merged_trails(f.trail for f in parts))

    def _sdk_serde(self, node: ast.expr) -> str | None:
        """"default" for `DefaultSerde(...)`, "pydantic" for `PydanticJsonSerde(...)`: the SDK's
        serdes whose bytes for a value depend on the value alone (restate-sdk 1.3: `DefaultSerde`
        takes the value's own type when it writes; `PydanticJsonSerde` calls its
        `model_dump_json()`); None for any other."""
        if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
            return None
        return _SDK_SERDES.get(self.m.qualify(node.func, self.fn) or "")

    def _promise_op(self, kind: OpKind, made: ast.Call, node: ast.AST) -> Node:
        """The command of a promise's method (``node``: the call, or the `await` of the promise
        itself) on the promise ``made`` (`ctx.promise(name, serde, type_hint)`)."""
        fields = {"key": self._field(_arg(made, _PROMISE_PARAMS, "name") or made)}
        if kind is OpKind.COMPLETE_PROMISE and getattr(getattr(node, "func", None), "attr", "") == "reject":
            fields["value"] = self._failure(node, ("message", "code"), "message", "code")  # type: ignore[arg-type]
        elif kind is OpKind.COMPLETE_PROMISE:
            assert isinstance(node, ast.Call)
            args = node.args
            method = getattr(node.func, "attr", "")
            given = _arg(node, ("value",), "value") if method == "resolve" else None
            spelled = self._field(given, empty=None) if given is not None else None
            serde = _arg(made, _PROMISE_PARAMS, "serde")
            serde_kind = self._sdk_serde(serde) if serde is not None else "default"  # (once: a literal and the keys both ask)
            if spelled is not None and spelled.is_literal and serde_kind is not None:
                fields["value"] = spelled  # (`resolve("done")`: the SDK's serdes write a literal as JSON, p119)
            else:
                traced = [self.fp.traced(a) for a in args]
                pairs = [self.fp.with_and_without_classes(a, t[0]) for a, t in zip(args, traced)]
                writes = (self._promise_writes(made, args[0], serde, serde_kind)
                          if method == "resolve" and len(args) == 1 and not node.keywords else None)
                fields["value"] = Field(text=", ".join(_text(a) for a in args), fingerprint="|".join(p[0] for p in pairs) + f"|{method}",
                                        writes=writes, computed="|".join(p[1] for p in pairs) + f"|{method}",
                                        trail=_merged_trails(t[1] for t in traced))
        return Step(self._op(kind, node, fields))

    def _promise_writes(self, made: ast.Call, value: ast.expr, serde: ast.expr | None, kind: str | None) -> Writes | None:
        """The keys `promise.resolve(value)` writes: restate-sdk 1.3 writes it with the promise's
        serde, a `DefaultSerde` of its `type_hint=` unless one is given; that writes a model's
        `model_dump_json()` and a dataclass's fields (with no hint, `json.dumps` of a model fails).
        rea reads the keys where the hint names the value's own class, or the serde is a
        `PydanticJsonSerde`. ``serde``: the one the promise is made with; ``kind``: `_sdk_serde`'s
        word for it ("default" when none is given)."""
        if kind == "pydantic":
            return self._writes(value, False, pydantic_only=True)
        if kind is None:  # (a serde of the project's own: the keys are a change if it writes them)
            writes = self._writes(value, False)
            return replace(writes, through=_text(serde)) if writes is not None and serde is not None else None
        hint = _arg(made, _PROMISE_PARAMS, "type_hint")
        if hint is None:
            return None
        named = self._named(hint)
        found = self._instance_of(value)
        if named is None or found is None or found[0].where != named.where:
            return None
        return Writes.of(*found)

    def _field(self, node: ast.expr | None, empty: object = "") -> Field:
        if node is None or (isinstance(node, ast.Constant) and node.value is None):
            return Field.of_literal(empty, repr(empty))
        constant = self.fp.constant(node)
        if constant is not None:
            return Field.of_literal(constant.value, _text(node))
        if isinstance(node, ast.Dict):
            items = self._constant_items(node)
            if items is not None:  # (`headers={"x-tenant": "a"}`: sent, and compared, in this order)
                return Field.of_literal(dict(items), _text(node))
        known = self._string(node) if isinstance(node, (ast.JoinedStr, ast.BinOp)) else None  # (a constant is above)
        if known is not None and known[2]:  # ("a" + "b": a literal spelled in two)
            return Field(text=_text(node), literal=known[0], is_literal=True, fingerprint=repr(known[0]))
        prefix, suffix = known[:2] if known is not None else ("", "")
        return self._computed(node, prefix, suffix)

    def _computed(self, node: ast.expr, prefix: str = "", suffix: str = "") -> Field:
        """A field computed at run time: by its fingerprint, with the statements it read (`changed_lines`)."""
        fingerprint, trail = self.fp.traced(node)
        return Field(text=_text(node), fingerprint=fingerprint, prefix=prefix, suffix=suffix, trail=trail or None)

    def _constant_items(self, node: ast.Dict) -> list[tuple[Any, Any]] | None:
        """A dict display's (key, value) pairs, in order, where each is a literal or a module
        constant (`{"x-tenant": TENANT}`); None otherwise (`**extra`, a value computed here)."""
        items = []
        for key, value in zip(node.keys, node.values):
            k = self.fp.constant(key) if key is not None else None
            v = self.fp.constant(value)
            if k is None or v is None:
                return None
            items.append((k.value, v.value))
        return items

    def _string(self, node: ast.expr) -> tuple[str, str, bool] | None:
        """For an expression that makes a string around literal text (an f-string, `+` with a
        literal string): (the text it starts with, the text it ends with, whether that is all of
        it); None if it is not known to be a string."""
        constant = self.fp.constant(node)
        if constant is not None:
            return (constant.value, constant.value, True) if isinstance(constant.value, str) else None
        if isinstance(node, ast.JoinedStr):
            out: tuple[str, str, bool] = ("", "", True)
            for value in node.values:
                piece = (value.value, value.value, True) if isinstance(value, ast.Constant) and isinstance(value.value, str) else ("", "", False)
                out = _joined(out, piece)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._string(node.left), self._string(node.right)
            if left is None and right is None:
                return None  # (`a + b`: maybe numbers, maybe lists)
            return _joined(left or ("", "", False), right or ("", "", False))
        return None

    def _op(self, kind: OpKind, node: ast.AST, fields: dict[str, Field], decoded: Decoding | None = None) -> Op:
        return Op(kind, fields, self.mod.path, getattr(node, "lineno", 0), getattr(node, "col_offset", 0), source_text(node), self.via,
                  decoded)

    def _decoded(self, call: ast.Call, method: str, whole: bool = False, resolve: "_Resolve | None" = None) -> Any:
        """The class the SDK decodes the journaled result of ``ctx.run/run_typed/get`` into, as
        restate-sdk 1.3 picks it: a `PydanticJsonSerde(Model)`; with the default serde, the
        `type_hint=` given, else (a run) the action's return annotation (`run_typed` takes an
        `Optional[Model]` as `Model`, unless ``whole`` asks for a result that is always an
        instance). None: plain JSON, another serde, or a class rea cannot read. ``resolve``: what to
        make of the class's annotation instead of its decoding (`_Project.annotated_code`)."""
        resolve = resolve or self.p.annotated
        action: ast.expr | None = None
        params: tuple[str, ...]
        if method == "run_typed":
            options = call.args[2] if len(call.args) > 2 and not isinstance(call.args[2], ast.Starred) else None
            if options is not None and not (isinstance(options, ast.Call) and self.m.qualify(options.func, self.fn)
                                            in ("restate.RunOptions", "restate.context.RunOptions")):
                return None  # options made elsewhere: rea does not read them
            if options is not None and options.args:
                return None  # (`RunOptions(JsonSerde())`: fields by position, not read)
            serde = _arg(options, (), "serde") if options is not None else None
            hint = _arg(options, (), "type_hint") if options is not None else None
            action = call.args[1] if len(call.args) > 1 and not isinstance(call.args[1], ast.Starred) else None
        elif method == "run":
            params = ("name", "action", "serde", "max_attempts", "max_retry_duration", "type_hint", "args")
            serde, hint, action = _arg(call, params, "serde"), _arg(call, params, "type_hint"), _arg(call, params, "action")
        else:
            params = ("name", "serde", "type_hint", "entry_name")
            serde, hint = _arg(call, params, "serde"), _arg(call, params, "type_hint")
        if serde is not None:
            if not isinstance(serde, ast.Call):
                return None  # (a serde made elsewhere)
            made = self.m.qualify(serde.func, self.fn)
            if made in ("restate.serde.PydanticJsonSerde", "restate.PydanticJsonSerde") and len(serde.args) == 1 and not serde.keywords:
                return self._named(serde.args[0], resolve)
            if made not in ("restate.serde.DefaultSerde", "restate.DefaultSerde") or serde.args or serde.keywords:
                return None
        if hint is not None:
            return self._named(hint, resolve)
        if action is None:
            return None
        if isinstance(action, ast.Call) and self.m.qualify(action.func, self.fn) == "functools.partial" and action.args:
            action = action.args[0]
        qual = self.mod.resolver.target(action, self.fn) if isinstance(action, (ast.Name, ast.Attribute)) else None
        found = self.p.resolve(qual, self.mod.path) if qual else None
        returns = getattr(found[1].node, "returns", None) if found is not None else None
        if returns is None or found is None:
            return None
        return resolve(found[0], returns, method == "run_typed" and not whole)

    def _named(self, name: ast.expr, resolve: "_Resolve | None" = None) -> Any:
        """The decoding of a class the handler code names (`type_hint=Quote`); or ``resolve``'s answer for it."""
        if isinstance(name, ast.Name) and self.m.is_local(name.id, self.fn):
            return None  # (a parameter or local of that name, not the class)
        return (resolve or self.p.annotated)(self.mod, name, False)

    # what a payload writes ---------------------------------------------------------------------

    def _writes(self, node: ast.expr, target: ast.expr | None | bool, pydantic_only: bool = False) -> Writes | None:
        """The keys the SDK writes for the value ``node`` computes (`journal.encoding`), where it is
        certainly a whole instance of a class rea can read: the handler's input, a run's or a call's
        result the journal replays, or one the code makes (`Quote(price=1)`), in place or through a
        local bound once. A call's parameter is written by the called handler's input serde: a
        model's `model_dump_json()` (restate-sdk 1.3 serializes no dataclass there), unless the
        handler names its own serde."""
        if target is None:
            return None  # (a generic call: the parameter is the bytes given)
        if target is not False:
            called = self._called(target)  # type: ignore[arg-type]
            if called is not None and _names_serde(called[1], "input_serde"):
                return None
        dumped = self._dumped(node) if not pydantic_only else None  # (`PydanticJsonSerde` writes no dict)
        if dumped is not None:
            return Writes.of(*dumped)  # (a dict: any serde writes its keys in order)
        found = self._instance_of(node)
        if found is None or ((pydantic_only or target is not False) and found[0].kind != "pydantic"):
            return None
        return Writes.of(*found)

    def _dumped(self, node: ast.expr) -> tuple[Decoding, bool, tuple[str, ...] | None] | None:
        """The class of the instance a dict is a dump of: `order.model_dump()` (or `mode="json"`,
        which changes values, not keys), pydantic v1's `order.dict()`, `dataclasses.asdict(receipt)`,
        in place or through a local bound once. Its keys are the class's, in order."""
        if isinstance(node, ast.Name):
            if node.id in self.fp.env or node.id in self.contexts:
                return None
            node = self._bound_once(node.id)  # type: ignore[assignment]
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in ("model_dump", "dict") and not node.args
                and all(k.arg == "mode" for k in node.keywords)):
            found = self._instance_of(func.value)
            return found if found is not None and found[0].kind == "pydantic" else None
        if (len(node.args) == 1 and not node.keywords and isinstance(func, (ast.Name, ast.Attribute))
                and self.m.qualify(func, self.fn) == "dataclasses.asdict"):
            found = self._instance_of(node.args[0])
            return found if found is not None and found[0].kind == "dataclass" else None
        return None

    def _instance_of(self, node: ast.expr) -> tuple[Decoding, bool, tuple[str, ...] | None] | None:
        """The class whose instance ``node`` holds when it is not None, when rea is sure of it (see
        `_writes`), whether it is never None (an Optional annotation, or a state value never set,
        may give None), and for an instance made here, the fields the call passes (`_given`)."""
        if isinstance(node, ast.Name):
            if node.id in self.contexts:
                return None
            assigned = self.fp.assignments().get(node.id)
            passed = self.fp.env.get(node.id)
            if passed is not None:  # a helper's parameter: what its caller passes, unless rebound here
                return getattr(passed, "instance", None) if assigned is None else None
            if assigned is None:
                return self._input_named(node.id)
            node = self._bound_once(node.id)  # type: ignore[assignment]
            if node is None:
                return None
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # `await ctx.get("cart", type_hint=Cart) or Cart()`: one class's instance either way,
            # never None when the last one never is (a model has no falsy value but None)
            parts = [self._instance_of(value) for value in node.values]
            if any(p is None for p in parts) or len({p[0].where for p in parts}) != 1:  # type: ignore[index]
                return None
            return parts[0][0], parts[-1][1], None  # type: ignore[index]
        if isinstance(node, ast.Await):
            node = node.value
        if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.contexts:
            method, made = func.attr, _CALLS.get(func.attr)
            if method in ("run", "run_typed"):
                found = self._decoded(node, method)
                # (only `run_typed` reads an action's `Optional[X]` as X: then the result may be None)
                whole = found is not None and (method == "run" or self._decoded(node, method, whole=True) is not None)
                return (found, whole, None) if found is not None else None
            if made is not None and made[0] is OpKind.CALL and not method.startswith("generic_"):
                tpe = _arg(node, made[1], "tpe")
                found = self._call_decoded(tpe)
                return (found, self._call_decoded(tpe, whole=True) is not None, None) if found is not None else None
            return _maybe(self._decoded(node, method)) if method == "get" else None
        if isinstance(func, ast.Attribute) and func.attr in _COPIES:
            # `order.model_copy(update={...})`: an instance of the receiver's class, never None
            # (a copy of None raises); what `update` holds is written as those fields' values
            copied = self._instance_of(func.value)
            return (copied[0], True, None) if copied is not None and copied[0].kind == "pydantic" else None
        if isinstance(func, ast.Attribute) and func.attr in _VALIDATES:
            decoding = self._named(func.value)  # `Order.model_validate(data)`: the class's instance
            return (decoding, True, None) if decoding is not None and decoding.kind == "pydantic" else None
        decoding = self._named(func)  # a class called: its instance
        return (decoding, True, _given(node, decoding)) if decoding is not None else None

    def local_instance(self, name: str) -> tuple[Decoding, bool, tuple[str, ...] | None] | None:
        """`_instance_of` the local ``name``, once per local (`instances`)."""
        if name not in self.instances:
            self.instances[name] = self._instance_of(ast.Name(id=name, ctx=ast.Load()))
        return self.instances[name]

    def _bound_once(self, name: str) -> ast.expr | None:
        """The one expression this function binds ``name`` to (`q = await ctx.run_typed(...)`), or
        None: bound more than once, by unpacking or a loop, or declared global or nonlocal."""
        assigned = self.fp.assignments().get(name)
        if assigned is None or len(assigned) != 1 or not isinstance(assigned[0], ast.expr) or name in self.fp._declared:
            return None
        return assigned[0]

    def _input_named(self, name: str) -> tuple[Decoding, bool, None] | None:
        """The model the handler decodes its input into, if ``name`` is that parameter (in the
        handler's own code), and whether it is never None (not Optional: a request may have no body)."""
        if self.depth != 0:
            return None
        args = self.fn.node.args
        params = [*args.posonlyargs, *args.args]
        if len(params) != 2 or params[-1].arg != name:
            return None
        given = self.p._input(self.mod, self.fn)
        annotation = _unquoted(params[-1].annotation) if given is not None else None  # (`'Optional[Order]'`)
        if annotation is None or given is None:
            return None
        return replace(given[0], request=True), optional_of(self.m, annotation) is annotation, None


def _unquoted(annotation: ast.expr | None) -> ast.expr | None:
    """A string annotation (`-> "Quote"`) as the expression it spells; None if it spells none."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    return annotation


def _maybe(decoding: Decoding | None) -> tuple[Decoding, bool, None] | None:
    """A class whose instance a value holds, or None (`_ShapeBuilder._instance_of`)."""
    return (decoding, False, None) if decoding is not None else None


def _given(call: ast.Call, decoding: Decoding) -> tuple[str, ...] | None:
    """The fields a constructor call passes, sorted; None where rea cannot tell (`**data`, a
    starred argument, a pydantic model's positional one)."""
    if any(k.arg is None for k in call.keywords):
        return None
    names = {k.arg for k in call.keywords if k.arg is not None}
    if call.args:
        if decoding.kind != "dataclass" or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        names.update(decoding.fields[:len(call.args)])
    return tuple(sorted(names))


def _handler_at(project: _Project, mod: _Module, qual: str | None) -> tuple[str, str] | None:
    """The (service, handler), as Restate knows them, of the project function a handler
    reference qualifies to (`greet`, `greeter.greet`); None: not a handler of the project's."""
    found = project.resolve(qual, mod.path) if qual else None
    return found[0].handler_names.get(found[1].qualname) if found is not None else None


def _called_handler(project: _Project, mod: _Module, fn: Function, call: ast.Call) -> tuple[ast.expr, str] | None:
    """For ``fn``'s fingerprints (`Fingerprinter.handler_of`): the handler reference a context
    call or send passes, and `service/handler` for it; None: a generic call, or not a handler
    of the project's."""
    method = call.func.attr  # type: ignore[attr-defined]
    if method not in _CALLS or method.startswith("generic_"):
        return None
    tpe = _arg(call, _CALLS[method][1], "tpe")
    qual = mod.resolver.target(tpe, fn) if isinstance(tpe, (ast.Name, ast.Attribute)) else None
    names = _handler_at(project, mod, qual)
    return (tpe, "/".join(names)) if tpe is not None and names is not None else None


def _calls_accessor(mod: _Module, fn: Function) -> bool:
    """Does ``fn`` (of ``mod``) take the context from an accessor (`restate_context()`)? Asked at
    every call of a project function that hands no context on: answered once per function."""
    shared = memo(mod.model)
    key = ("shape-calls-accessor", id(fn))
    found = shared.get(key)
    if found is None:
        found = shared[key] = any(isinstance(n, ast.Call) and not n.args and mod.resolver.target(n.func, fn) in ACCESSORS
                                  for n in ast.walk(fn.node))
    return found


def _run_named(project: _Project, mod: _Module, fn: Function, call: ast.Call) -> ast.expr | None:
    """For ``fn``'s fingerprints (`Fingerprinter.run_named`): the argument of ``call`` that names
    the run whose result the called project helper returns as it is (`result = await
    ctx.run(name, fn)`, then `return result`: hydrogen2/EvoIoT's `traced_run`); None if it
    returns anything else."""
    qual = mod.resolver.target(call.func, fn) if isinstance(call.func, (ast.Name, ast.Attribute)) else None
    found = project.resolve(qual, mod.path) if qual else None
    if found is None:
        return None
    helper = found[1].node
    shared = memo(found[0].model)
    key = ("shape-run-name-param", id(helper))
    if key not in shared:  # (asked at every rendering of a call of it: read once per helper)
        shared[key] = _returned_run_param(helper)
    answer = shared[key]
    if answer is None:
        return None
    name, params = answer
    offset = 1 if params and params[0] in ("self", "cls") and isinstance(call.func, ast.Attribute) else 0
    index = params.index(name) - offset
    if 0 <= index < len(call.args) and not any(isinstance(x, ast.Starred) for x in call.args[: index + 1]):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _returned_run_param(helper: ast.AST) -> tuple[str, list[str]] | None:
    """The parameter that names the run whose result ``helper`` returns as it is, and its
    positional parameters; None if it returns anything else (`_run_named`)."""
    if not isinstance(helper, ast.AsyncFunctionDef):
        return None
    a = helper.args
    params = [p.arg for p in (*a.posonlyargs, *a.args)]
    runs: dict[str, ast.expr] = {}  # local name -> the awaited run it holds (assigned once)
    assigned: dict[str, int] = {}
    returns: list[ast.expr | None] = []
    for n in ast.walk(helper):
        for t in (n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, (ast.AnnAssign, ast.AugAssign, ast.For)) else []):
            for name in (x.id for x in ast.walk(t) if isinstance(x, ast.Name)):
                assigned[name] = assigned.get(name, 0) + 1
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            runs[n.targets[0].id] = n.value
        elif isinstance(n, ast.Return):
            returns.append(n.value)
    names: set[str] = set()
    for value in returns:
        if isinstance(value, ast.Name) and assigned.get(value.id) == 1 and value.id not in params:
            value = runs.get(value.id)
        inner = value.value if isinstance(value, ast.Await) else None
        if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr in ("run", "run_typed")
                and isinstance(inner.func.value, ast.Name) and inner.func.value.id in params and inner.args
                and isinstance(inner.args[0], ast.Name) and inner.args[0].id in params
                and assigned.get(inner.func.value.id, 0) == 0 and assigned.get(inner.args[0].id, 0) == 0):
            return None
        names.add(inner.args[0].id)
    if len(names) != 1:
        return None
    return names.pop(), params


def _imported(project: _Project, near: str, qual: str) -> str:
    """A name imported from a project module as that module's own name and the name in it
    (`stripe_utils.verify`, whether imported as `stripe_utils` or as
    `signalspayments.stripe_utils`, or from a file that moved), else as the last module and
    the name (`Fingerprinter.imported`): a side may not resolve the name the other side does
    (`utils/` without its `__init__.py`), and the packages above a module are not what its
    name holds."""
    parts = qual.split(".")
    if len(parts) > 1 and project.file_of(qual, near) is not None:
        return parts[-1]  # the module itself (`from signalspayments import stripe_utils`)
    return ".".join(parts[-2:])


def _merged_trails(trails: Iterable[Trail | None]) -> Trail | None:
    """The statements several computations read together (a field of more than one value)."""
    merged = Trail()
    for trail in trails:
        merged.add(trail)
    return merged or None


def _joined(a: tuple[str, str, bool], b: tuple[str, str, bool]) -> tuple[str, str, bool]:
    """The known beginning and end of two strings one after the other (`_ShapeBuilder._string`)."""
    (pa, sa, exact_a), (pb, sb, exact_b) = a, b
    return (pa + pb if exact_a else pa, sa + sb if exact_b else sb, exact_a and exact_b)


def _never_runs(fn: Function) -> bool:
    """Calling ``fn`` only makes a coroutine: an `async def`, undecorated or decorated as a
    handler only (the SDK's wrapper returns the coroutine; another decorator might run it)."""
    node = fn.node
    if not isinstance(node, ast.AsyncFunctionDef):
        return False
    handler = fn.handler
    return not node.decorator_list or (len(node.decorator_list) == 1 and handler is not None and handler.decorator is node.decorator_list[0])


def _imported_constant(project: _Project, near: str, qual: str) -> ast.Constant | None:
    """The literal an imported name holds if it is a module constant of a project module
    (`from app.keys import BALANCE`: `BALANCE = "balance"` in app/keys.py), else None."""
    module, _, name = qual.rpartition(".")
    mod = project.module(module, near) if module else None
    return module_constant(mod.model, name) if mod is not None else None


def _imported_code(project: _Project, near: str, qual: str) -> str | None:
    """The code of a project module's function or value an imported name denotes (`from util
    import compute`, `from config import RATES`, followed through re-exports), with the helpers
    and values it reads (`code_reach`), else None (`Fingerprinter.imported_code`). A class is
    not read here: what of it decides a value is `class_code`'s."""
    found = project.definition_of(qual, near) if "." in qual else None
    if found is None or isinstance(found[1], ast.ClassDef):
        return None
    return "".join(f"D({d})" for d in code_reach(*found, project.definition_of))


def _attribute_code(project: _Project, mod: _Module, annotation: ast.expr, attr: str) -> tuple[str, str] | None:
    """The digest of the method (or property) ``attr`` that the project class ``annotation`` names
    defines in its own body (`order: Order`, then `order.total()`), or of what decides the value
    of its field ``attr`` (`_field_code`), else None (`Fingerprinter.attribute_code`)."""
    inner = optional_of(mod.model, annotation)
    if not isinstance(inner, (ast.Name, ast.Attribute)):
        return None  # (a string annotation, a union: not read)
    found = project.class_at(mod.model, mod.path, inner)
    if found is None:
        return None
    cls_model, cls, cls_path = found
    method = _method_named(cls, attr)
    if method is not None:
        digest = method_code(cls_model, method, cls_path, project.definition_of)
        return digest, digest
    parts = project.class_code(cls_model, cls, cls_path)
    return _field_code(parts, attr, cls.name, f"{cls_path}:{cls.lineno}", True)  # (the handler's input: a request)


def _instance_attribute(builder: "weakref.ref[_ShapeBuilder]", name: str, attr: str) -> tuple[str, str] | None:
    """The digest of the method (or property) ``attr`` of the class whose instance the local
    ``name`` holds, where the builder is sure of it (`_ShapeBuilder._instance_of`: a run's or a
    call's result the journal replays, a constructor, `get(...) or Cart()`), or of what decides
    the value of its field ``attr`` (`_field_code`), else None (`Fingerprinter.instance_attribute`)."""
    shaping = builder()
    if shaping is None:
        return None
    found = shaping.local_instance(name)
    cls = found[0].node if found is not None else None
    if cls is None:
        return None
    decoding = found[0]  # type: ignore[index]
    method = _method_named(cls, attr)
    if method is not None:
        digest = shaping.p.method_code(method, decoding.where)
        return digest, digest
    return _field_code(decoding.code, attr, decoding.name, decoding.where, decoding.request)


def _instance_code(builder: "weakref.ref[_ShapeBuilder]", name: str) -> str | None:
    """The whole code (`whole_code`) of the project class whose instance the parameter or local
    ``name`` holds: the class a parameter is annotated with (its defaults count: the handler's
    input is a caller's request), or the class a local's value is decoded with or made as, where
    the builder is sure of it (`_ShapeBuilder._instance_of`), or a run's or a state value's class
    whose fields rea cannot list; else None (`Fingerprinter.instance_code`)."""
    shaping = builder()
    if shaping is None:
        return None
    if name in shaping.fp._positions:
        arg = _parameter(shaping.fn, name)
        code = shaping.p.annotated_code(shaping.mod, arg.annotation, optional=True, defaults=True) if arg is not None else None
        return code if code is not None and name not in shaping.fp.assignments() else None  # (the class first: most are `str`)
    bound = shaping._bound_once(name)
    if not isinstance(bound, (ast.Call, ast.Await, ast.BoolOp)):
        return None  # (what `_instance_of` reads a local's instance from: most locals are no instance)
    instance = shaping.local_instance(name)
    if instance is not None:
        decoding = instance[0]
        cls = decoding.node.name if decoding.node is not None else decoding.name
        return shaping.p.whole_of(cls, decoding.code, decoding.request, decoding.where)
    return _decoded_code(shaping, bound)


def _decoded_code(shaping: "_ShapeBuilder", value: ast.expr | None, depth: int = 0) -> str | None:
    """The whole code of the class a journaled result is decoded with where rea cannot list its
    fields (`await ctx.run_typed(...)` of a class with a `model_validator(mode="before")`), or of the
    first such one an `or` may give (`await ctx.get("state", type_hint=State) or {}`); else None."""
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and depth < 4:
        return next((c for c in (_decoded_code(shaping, v, depth + 1) for v in value.values) if c is not None), None)
    if isinstance(value, ast.Await):
        value = value.value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Name)
            and value.func.value.id in shaping.contexts and value.func.attr in ("run", "run_typed", "get")):
        return None
    return shaping._decoded(value, value.func.attr, resolve=partial(_annotated_code, shaping.p))


def _chain_code(builder: "weakref.ref[_ShapeBuilder]", name: str, chain: tuple[str, ...]) -> tuple[str, str] | None:
    """`Fingerprinter.chain_code`: the code `order.address.city` reads, through the classes each
    field before the last is declared as (`Decoding.nested`: `address: Address`, never None): what
    decides each of those fields' own values (their annotations and validators, not the whole
    class they hold), and the last attribute's code (`_field_code`) in the class it reaches."""
    shaping = builder()
    if shaping is None:
        return None
    if name in shaping.fp._positions:
        arg = _parameter(shaping.fn, name)
        if arg is None or arg.annotation is None or name in shaping.fp.assignments():
            return None
        decoding = shaping.p.annotated(shaping.mod, arg.annotation, optional=True)
        request = True
    else:
        instance = shaping.local_instance(name)
        decoding, request = (instance[0], instance[0].request) if instance is not None else (None, False)
    steps = []
    for attr in chain[:-1]:
        inner = decoding.nested.get(attr) if decoding is not None else None
        own = field_code(decoding.code, attr, request, held=False) if inner is not None else None  # type: ignore[union-attr]
        if inner is None or own is None:
            return None
        steps.append(own)
        decoding = inner
    assert decoding is not None
    cls = decoding.node
    method = _method_named(cls, chain[-1]) if cls is not None else None
    last: tuple[str, str] | None
    if method is not None:
        digest = shaping.p.method_code(method, decoding.where)
        last = digest, digest
    else:
        last = _field_code(decoding.code, chain[-1], decoding.name, decoding.where, request)
    if last is None:
        return None
    label = f"`{decoding.name}.{chain[-1]}` ({decoding.where})"
    both = [hashlib.sha1("\0".join((*steps, code)).encode()).hexdigest()[:16] for code in last]
    return name_digest(both[0], label), name_digest(both[1], label)


def _annotated_code(project: "_Project", mod: _Module, annotation: ast.expr, optional: bool) -> str | None:
    """`_Project.annotated_code` as `_ShapeBuilder._decoded` resolves a class."""
    return project.annotated_code(mod, annotation, optional)


def _parameter(fn: Function, name: str) -> ast.arg | None:
    """The parameter ``name`` of ``fn`` (its annotation), if it has one of that name."""
    a = fn.node.args
    return next((p for p in (*a.posonlyargs, *a.args, *a.kwonlyargs) if p.arg == name), None)


def _field_code(parts: tuple[Part, ...], attr: str, cls: str, where: str, defaults: bool) -> tuple[str, str] | None:
    """`field_code`, named for `code_names` (`Order.price` and the class's place): a value read
    from a field depends on its annotation (`int` to `float` reads `1` as `1.0`), on the
    validators that run when the instance is decoded or made (tests/replay: p138), and on the code
    of the classes it holds (p143, p147); and without those (`Fingerprinter.attribute_code`)."""
    digest = field_code(parts, attr, defaults)
    if digest is None:
        return None
    label = f"`{cls}.{attr}` ({where})"
    alone = field_code(parts, attr, defaults, held=False)
    return name_digest(digest, label), name_digest(alone, label) if alone is not None and alone != digest else digest


def _method_named(cls: ast.ClassDef, attr: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The method (or property) ``attr`` a class defines in its own body."""
    return next((s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == attr), None)


def _top_class(model: Model, name: str) -> ast.ClassDef | None:
    """The class ``name`` at a module's top level, if the module binds that name once, with a
    `class` statement (kept in the model's `memo`). Its top-level statements only: the
    fingerprint's `_module_bindings` (which also reads `global` in functions) walks every node,
    and cost `rea diff` 15% on 1,000 generated modules here."""
    shared = memo(model)
    classes = shared.get("shape-top-classes")
    if classes is None:
        bound: dict[str, list[ast.stmt]] = {}
        for stmt in model.tree.body:
            targets: list[str] = []
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                targets = [stmt.name]
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                targets = [(a.asname or a.name).split(".")[0] for a in stmt.names]
            elif isinstance(stmt, ast.Expr):
                continue  # (a docstring, a call: binds nothing a class could be)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]):
                    targets += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
            else:  # (whatever a statement binds below it: `if`, `try`)
                targets = [n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
                targets += [n.name for n in ast.walk(stmt) if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
            for t in targets:
                bound.setdefault(t, []).append(stmt)
        classes = shared["shape-top-classes"] = {
            n: stmts[0] for n, stmts in bound.items() if len(stmts) == 1 and isinstance(stmts[0], ast.ClassDef)}
    return classes.get(name)


def _names_serde(fn: Function, keyword: str) -> bool:
    """Does the handler's decorator name its own ``keyword`` serde (or pass `**options`)?"""
    deco = fn.handler.decorator if fn.handler is not None else None
    return isinstance(deco, ast.Call) and any(k.arg in (keyword, None) for k in deco.keywords)


def _arg(call: ast.Call, params: Sequence[str], name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if name in params:
        i = params.index(name)
        if i < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: i + 1]):
            return call.args[i]
    return None


_NONEMPTY_LEN: dict[tuple[type, int], bool] = {
    (ast.Eq, 0): False, (ast.NotEq, 0): True, (ast.Gt, 0): True, (ast.GtE, 1): True, (ast.Lt, 1): False, (ast.LtE, 0): False,
}
"""`len(x) OP n`: its value whenever `x` is not empty."""


def _emptiness(test: ast.expr, len_shadowed: bool) -> tuple[ast.expr, int] | None:
    """For a test of whether an iterable is empty: the iterable, and the arm (0: the test is
    true) taken when it is not empty; else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        found = _emptiness(test.operand, len_shadowed)
        return (found[0], 1 - found[1]) if found is not None else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(right, ast.Constant) and right.value is None and isinstance(op, (ast.Is, ast.IsNot)):
            return (test.left, 0 if isinstance(op, ast.IsNot) else 1)
        sized = _len_of(test.left, len_shadowed)
        if sized is not None and isinstance(right, ast.Constant) and type(right.value) is int:
            # (what the test is for every length from 1 up, where that is one value)
            value = _NONEMPTY_LEN.get((type(op), right.value))
            return (sized, 0 if value else 1) if value is not None else None
        return None
    sized = _len_of(test, len_shadowed)
    if sized is not None:
        return (sized, 0)
    if isinstance(test, (ast.Name, ast.Attribute, ast.Subscript)):
        return (test, 0)
    return None


def _len_of(node: ast.expr, len_shadowed: bool) -> ast.expr | None:
    """`x` for `len(x)` (the builtin)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" and not len_shadowed
            and len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred)):
        return node.args[0]
    return None


def _conjuncts(test: ast.expr) -> list[ast.expr]:
    """`a and b` as [a, b]; any other test as itself."""
    return list(test.values) if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]


_LOOP = "loop:"
"""Starts a loop's condition: decisions are kept by condition, and a loop's (iterate again, or
stop) are not an `if`'s on the same test (`if items:` then `for item in items:`)."""


def _text(node: ast.AST | None, limit: int = 60) -> str:
    return source_text(node, limit) if node is not None else ""


def _append(items: list[Node], node: Node) -> None:
    if isinstance(node, Seq):
        items.extend(node.items)
    elif node is not EMPTY:
        items.append(node)


def _returning(node: Node, rest: Node) -> Node:
    """An inlined helper's ``node`` followed by ``rest``, where a `return` in the helper ends
    the helper (skips ``rest``), not the handler that called it. (A helper with a `return`
    inside a loop or `try` is an `Inlined` instead: `_returns_nested`.)"""
    if isinstance(node, Exit):
        return EMPTY if node.how == "return" else node
    if not _returns(node):
        return _seq([node, rest])
    if isinstance(node, Seq):
        acc = rest
        for item in reversed(node.items):
            acc = _returning(item, acc)
        return acc
    assert isinstance(node, Branch), node  # (loops and trys with a return: `_returns_nested`)
    return replace(node, arms=tuple(_returning(a, rest) for a in node.arms))


def _continues(node: Node) -> bool:
    """Does a `continue` of this loop's own sit in its body (not in a loop nested in it)?"""
    if isinstance(node, Jump):
        return node.how == "continue"
    return not isinstance(node, Loop) and any(map(_continues, inner_nodes(node)))


def _returns_nested(node: Node) -> bool:
    """Does a loop or `try` in the helper's own code hold a `return`?"""
    if isinstance(node, Seq):
        return any(map(_returns_nested, node.items))
    if isinstance(node, Branch):
        return any(map(_returns_nested, node.arms))
    return isinstance(node, (Loop, Try)) and _returns(node)


def _return_jumps(node: Node) -> Node:
    """The helper's code with each `return` of its own a `Jump("return")` (a nested
    `Inlined` keeps its own)."""
    return _map_exits(node, lambda e: Jump("return", e.line) if e.how == "return" else e, into_inlined=False)


def _map_exits(node: Node, change: Callable[[Exit], Node], into_inlined: bool) -> Node:
    """``node`` rebuilt with ``change`` applied to each `Exit` in it (and in the `Inlined`
    helpers it holds, with ``into_inlined``)."""
    if isinstance(node, Exit):
        return change(node)
    if isinstance(node, Seq):
        return Seq(tuple(_map_exits(n, change, into_inlined) for n in node.items))
    if isinstance(node, Branch):
        return replace(node, arms=tuple(_map_exits(n, change, into_inlined) for n in node.arms))
    if isinstance(node, Loop):
        return replace(node, body=_map_exits(node.body, change, into_inlined), orelse=_map_exits(node.orelse, change, into_inlined))
    if isinstance(node, Try):
        return replace(node, body=_map_exits(node.body, change, into_inlined), handlers=tuple(_map_exits(h, change, into_inlined) for h in node.handlers),
                       orelse=_map_exits(node.orelse, change, into_inlined), final=_map_exits(node.final, change, into_inlined))
    if into_inlined and isinstance(node, Inlined):
        return replace(node, body=_map_exits(node.body, change, into_inlined))
    return node


def _catchable(node: Node, clauses: tuple[Catch, ...]) -> Node:
    """A `try` body with each `raise` in it that one of ``clauses`` may catch marked so (`Exit.caught`)."""
    def mark(e: Exit) -> Exit:
        if e.how != "raise" or e.caught or all(catches(c, e.raised) == MISSES for c in clauses):
            return e
        return replace(e, caught=True)
    return _map_exits(node, mark, into_inlined=True)


def _returns(node: Node) -> bool:
    """Does a `return` sit in it (an `Inlined` helper's returns are jumps)?"""
    if isinstance(node, Exit):
        return node.how == "return"
    return any(map(_returns, inner_nodes(node)))


def _seq(parts: Iterable[Node]) -> Node:
    items: list[Node] = []
    for p in parts:
        _append(items, p)
    if len(items) == 1:
        return items[0]
    return Seq(tuple(items)) if items else EMPTY


def _iterated(test: ast.expr, generators: Sequence[ast.comprehension]) -> ast.expr:
    """A comprehension's filter with each name its generators bind read as the item of the
    iterable it comes from (`if x > 0` in `for x in xs` is `if __iter__(xs) > 0`), as a `for`
    statement's target is: renaming the variable is no change in what the filter decides."""
    items: dict[str, ast.expr] = {}
    for gen in generators:
        each = ast.Call(func=ast.Name(id="__iter__", ctx=ast.Load()), args=[gen.iter], keywords=[])
        if isinstance(gen.target, ast.Name):
            items[gen.target.id] = each
        elif isinstance(gen.target, (ast.Tuple, ast.List)):
            for i, elt in enumerate(gen.target.elts):
                if isinstance(elt, ast.Name):
                    items[elt.id] = ast.Subscript(value=each, slice=ast.Constant(i), ctx=ast.Load())
    if not any(isinstance(n, ast.Name) and n.id in items for n in ast.walk(test)):
        return test
    return _Items(items).visit(copy.deepcopy(test))


class _Items(ast.NodeTransformer):
    """`_iterated`'s rewrite (a class of the module: one made per call would be a reference
    cycle, and shaping runs with the collector off)."""

    def __init__(self, items: Mapping[str, ast.expr]) -> None:
        self.items = items

    def visit_Name(self, name: ast.Name) -> ast.expr:
        found = self.items.get(name.id)
        return ast.copy_location(found, name) if found is not None and isinstance(name.ctx, ast.Load) else name


def _unnamed_captures(case: ast.match_case) -> ast.match_case:
    """A case's pattern and guard, without what it does, its capture names replaced by their
    order (`case ["decision", answer]` is `case ["decision", _0]`): which case matches does not
    depend on what its captures are called, so renaming one is no change in what decides it."""
    names: dict[str, str] = {}
    for node in ast.walk(case.pattern):
        for name in (getattr(node, "name", None), getattr(node, "rest", None)):
            if isinstance(name, str) and name not in names:
                names[name] = f"_{len(names)}"
    if not names:
        return ast.match_case(pattern=case.pattern, guard=case.guard, body=[])
    pattern, guard = copy.deepcopy(case.pattern), copy.deepcopy(case.guard)
    for node in ast.walk(pattern):
        if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name is not None:
            node.name = names[node.name]
        elif isinstance(node, ast.MatchMapping) and node.rest is not None:
            node.rest = names[node.rest]
    for node in ast.walk(guard) if guard is not None else ():
        if isinstance(node, ast.Name) and node.id in names:
            node.id = names[node.id]
    return ast.match_case(pattern=pattern, guard=guard, body=[])


def _is_empty(node: Node) -> bool:
    return isinstance(node, Seq) and not node.items


def _caught_raise(node: Node) -> bool:
    """Does ``node`` hold a `raise` a handler may catch (the code goes on after the `try`)?"""
    if isinstance(node, Exit):
        return node.caught
    return any(map(_caught_raise, inner_nodes(node)))


def _has_ops(node: Node) -> bool:
    out: list[Op] = []
    _collect_ops(node, out)
    return bool(out) or _has_unknown(node)


def _has_unknown(node: Node) -> bool:
    return isinstance(node, Unknown) or any(map(_has_unknown, inner_nodes(node)))
