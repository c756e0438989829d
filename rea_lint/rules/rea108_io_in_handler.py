"""REA108 io-in-handler: I/O outside a run action repeats on every replay, unrecorded.

Besides the I/O calls themselves, the methods of the objects they create (a client, a
session, a file, a socket, a `pathlib.Path`) are I/O when the object is bound in handler
code (`client = httpx.AsyncClient()`, `with open(p) as f`) or at module level.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Iterator, Sequence

from rea_lint.config import ReaConfig
from rea_lint.model import Function, Model, call_name
from rea_lint.rules.base import CallRule, Cues, Detection, NodeSource, dot_prefixes, qualified_calls, segments
from rea_lint.tables import (  # this rule's tables, kept there for the mypy plugin
    CLIENT_TYPES, DATA_ATTRIBUTES, DERIVING_METHODS, IO_CALLS, IO_FACTORIES, PATH_FACTORIES, PATH_IO_METHODS,
    PATH_PRESERVING, SESSION_MAKERS,
)

_HEADER = "import restate, httpx\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context, url: str):\n"

_IO, _PATH = 1, 2


class IoInHandler(CallRule):
    code = "REA108"
    transitive = True
    targets = IO_CALLS

    def cues(self, config: ReaConfig) -> Cues:
        """An I/O call, or a maker of an I/O object or a Path (`_Kinds` starts from nothing else)."""
        extra = config.extra_calls.get(self.code, ())
        return Cues.union(self.call_cues(extra), _maker_cues(extra))

    def module_cues(self, model: Model) -> list[str]:
        """The module-level names `_Kinds` may follow to a maker, and, where a Path can be
        made, the module's functions (whose returns it may follow)."""
        found = [name for name, value in model.module_values.items() if _may_lead_to_call(value)]
        if _PATH_CUES.names(model):
            found.extend(model.module_functions)
        return found

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        extra = model.config.extra_calls.get(self.code, ())
        factories = IO_FACTORIES | frozenset(extra) if extra else IO_FACTORIES
        if not _may_hold_objects(model, nodes, factories):  # then the direct calls are all
            yield from super().detect(model, nodes)
            return
        kinds = _Kinds(model, nodes, factories)
        # the I/O calls themselves, as the base rule finds them (by name, no call qualified again)
        direct = {id(call) for call, _fn, _subject in super().detect(model, nodes)}
        for fn_calls, fn in segments(model, nodes, ast.Call):
            for call in fn_calls:
                if direct and id(call) in direct:
                    yield call, fn, call_name(call)
                    continue
                func = call.func
                if not isinstance(func, ast.Attribute):
                    continue
                receiver = func.value
                root, hops = receiver, 0
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root, hops = root.value, hops + 1
                if type(root) is ast.Name:
                    # what `kinds.of` would find first, at the end of the chain: a name that
                    # holds neither an I/O object nor a Path (`ctx`, `self`) makes the chain neither
                    if hops > 12 or not kinds.name(root.id, fn, hops):
                        continue
                    kind = kinds.of(receiver, fn)
                elif isinstance(root, ast.Call):
                    # `Path(p).read_text()`; `requests.Session().get()` is reported at the Session
                    kind = kinds.of(receiver, fn) & _PATH
                else:
                    kind = kinds.of(receiver, fn)
                if kind == _IO or (kind == _PATH and func.attr in PATH_IO_METHODS):
                    yield call, fn, call_name(call)

    invalid = (
        _HEADER + "    return httpx.get(url).json()\n",
        _HEADER + "    async with httpx.AsyncClient() as client:\n        return (await client.get(url)).json()\n",
        "import restate, httpx\nHTTP = httpx.AsyncClient()\nasync def h(ctx: restate.Context, url: str):\n"
        "    return await HTTP.get(url)\n",
        "import restate\nfrom pathlib import Path\nasync def h(ctx: restate.Context):\n    return Path('x').read_text()\n",
        "import restate, subprocess\nasync def h(ctx: restate.Context):\n    subprocess.run(['ls'])\n",
    )
    valid = (
        _HEADER + "    return await ctx.run_typed('fetch', lambda: httpx.get(url).json())\n",
        _HEADER + "    timeout = httpx.Timeout(5.0)\n    return timeout\n",
        "import restate\nfrom pathlib import Path\nasync def h(ctx: restate.Context):\n    return Path('x') / 'y'\n",
        "import restate, subprocess\nasync def h(ctx: restate.Context, args: list):\n    return subprocess.list2cmdline(args)\n",
    )


_OBJECT_MAKERS = IO_FACTORIES | CLIENT_TYPES | PATH_FACTORIES | SESSION_MAKERS
"""Every qualified name `_Kinds` starts an I/O object or a Path from."""


_MAKER_PREFIXES = dot_prefixes(_OBJECT_MAKERS)
_PATH_CUES = Cues(PATH_FACTORIES)
_MAKER_CUES: dict[tuple[str, ...], Cues] = {}


def _maker_cues(extra: Sequence[str]) -> Cues:
    """`Cues` of every maker `_Kinds` knows, with the `extra-calls` entries (factories too)."""
    key = tuple(extra)
    found = _MAKER_CUES.get(key)
    if found is None:
        found = _MAKER_CUES[key] = Cues(_OBJECT_MAKERS | frozenset(extra))
    return found


def _may_lead_to_call(value: ast.expr | None) -> bool:
    """Can `_Kinds.of` find an object in this module-level value? Only through a call, or a
    name it follows further, at the end of the receivers it walks down."""
    node = value
    while node is not None:
        kind = type(node)
        if kind is ast.Call or kind is ast.Name:
            return True
        if kind is ast.Attribute or kind is ast.Subscript or kind is ast.Await:
            node = node.value  # type: ignore[attr-defined]
        elif kind is ast.BinOp:
            node = node.left  # type: ignore[attr-defined]
        else:
            return False
    return False


def _may_hold_objects(model: Model, nodes: NodeSource, factories: frozenset[str]) -> bool:
    """Can any expression `_Kinds` looks at be an I/O object or a Path?

    Only through a call that qualifies to one of their makers, and a qualified name starts
    with what an import binds, or is `builtins.<name>`. So a module that imports none of
    their modules (most handler modules) and calls no builtin maker needs no `_Kinds`."""
    makers = _OBJECT_MAKERS | factories if factories is not IO_FACTORIES else _OBJECT_MAKERS
    prefixes = _MAKER_PREFIXES if makers is _OBJECT_MAKERS else dot_prefixes(makers)
    if not prefixes.isdisjoint(model.imports.names.values()):
        return True
    by_qual = qualified_calls(model, nodes)[1]
    if by_qual and not makers.isdisjoint(by_qual):
        return True
    for value in model.module_values.values():  # `_Kinds` follows names to module level,
        node = value  # and there only along the receivers: `open(p).buffer`, `make()[0]`
        while node is not None:
            kind = type(node)
            if kind is ast.Call:
                if model.qualify(node.func) in makers:  # type: ignore[attr-defined, operator]
                    return True
                node = node.func  # type: ignore[attr-defined]
            elif kind is ast.Attribute or kind is ast.Subscript or kind is ast.Await:
                node = node.value  # type: ignore[attr-defined]
            elif kind is ast.BinOp:
                node = node.left  # type: ignore[attr-defined]
            else:
                break
    return False


class _Kinds:
    """What an expression holds: an I/O object (a client, session, file ...), a Path, or
    neither (0). Names are followed through their assignments in the same function (in
    source order), then to module level; clients through what they hand out."""

    def __init__(self, model: Model, nodes: NodeSource, factories: frozenset[str]) -> None:
        self.model, self.nodes, self.factories = model, nodes, factories
        self._bound: dict[tuple[int, str], int] | None = None
        self._covered: set[int] = set()
        """id() of each function whose bindings `bound` holds: some code of it is among the
        nodes, or it is a project function whose returns `_all_returns_path` read."""
        self._returns_path: dict[str, bool] = {}
        self._rank: dict[int, int] | None = None

    def of(self, node: ast.expr | None, fn: Function | None, depth: int = 0) -> int:
        if node is None or depth > 12:
            return 0
        while isinstance(node, ast.Await):
            node = node.value
        model = self.model
        if isinstance(node, ast.Name):
            return self.name(node.id, fn, depth)
        if isinstance(node, ast.Attribute):
            base = self.of(node.value, fn, depth + 1)
            if base == _PATH:
                return _PATH if node.attr == "parent" else 0
            return base if node.attr not in DATA_ATTRIBUTES else 0  # `client.chat` is a client too
        if isinstance(node, ast.Subscript):
            return self.of(node.value, fn, depth + 1) & _IO  # `mongo["db"]`
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return _PATH if self.of(node.left, fn, depth + 1) == _PATH else 0
        if not isinstance(node, ast.Call):
            return 0
        func = node.func
        qual = model.call_target(node, fn) if fn is not None else model.qualify(func)
        if qual is not None:
            if qual in self.factories or qual in CLIENT_TYPES:
                return _IO
            if qual in PATH_FACTORIES:
                return _PATH
        if isinstance(func, ast.Attribute):
            base = self.of(func.value, fn, depth + 1)
            if base == _PATH:
                return _PATH if func.attr in PATH_PRESERVING else 0
            if base == _IO:
                return _IO if func.attr in DERIVING_METHODS else 0
            return 0
        if isinstance(func, ast.Name) and qual is None and not model.is_local(func.id, fn):
            value = model.module_values.get(func.id)
            if isinstance(value, ast.Call) and model.qualify(value.func) in SESSION_MAKERS:
                return _IO  # `with SessionLocal() as db`
            target = model.module_functions.get(func.id)
            if target is not None and self._all_returns_path(target, depth):
                return _PATH
        return 0

    def name(self, name: str, fn: Function | None, depth: int) -> int:
        """What the name holds where ``fn`` reads it (`of` for a name, ``depth`` deep)."""
        scope = fn
        while scope is not None:
            if name in scope.local_names:
                return self.bound.get((id(scope), name), 0)
            scope = scope.parent
        if name in self.model.imports.names:
            return 0
        return self.of(self.model.module_values.get(name), None, depth + 1)

    def _all_returns_path(self, target: Function, depth: int) -> bool:
        """A project function whose every `return` gives a Path (the rule specification's readings)."""
        key = target.qualname
        found = self._returns_path.get(key)
        if found is None:
            self.bound  # noqa: B018 (made first: making it may ask about this function too)
            self._returns_path[key] = False  # recursion
            code = self.model.function_nodes(target)
            returns = code.get(ast.Return, [])
            if returns and id(target) not in self._covered:
                # a helper outside the nodes: its locals, for its returns (`return base / "x"`)
                self._covered.add(id(target))
                self._read(_binding_sites(lambda *types: [(code[t], target) for t in types if t in code]), depth + 1)
            found = bool(returns) and all(
                self.of(r.value, target, depth + 1) == _PATH for r in returns  # type: ignore[attr-defined]
            )
            self._returns_path[key] = found
        return found

    @property
    def bound(self) -> dict[tuple[int, str], int]:
        """(function id, name) -> kind of what the code binds to the name: an I/O object, a
        Path, or neither (0). A name bound more than once holds what its last binding in the
        source gives, each read with what the bindings before it gave."""
        if self._bound is not None:
            return self._bound
        out = self._bound = {}
        bindings = _binding_sites(lambda *types: segments(self.model, self.nodes, *types))
        self._covered = {id(b[1]) for b in bindings}
        self._read(bindings)
        return out

    def _read(self, bindings: list[_Binding], depth: int = 0) -> None:
        """Note in `bound` what each binding gives its name: a function at a time, each in source
        order; an enclosing function before the ones nested in it (`Model.functions`' order),
        whose code may read what it binds."""
        out = self._bound
        assert out is not None
        if self._rank is None:
            self._rank = {id(fn): i for i, fn in enumerate(self.model.functions)}
        rank = self._rank
        bindings.sort(key=lambda b: (rank[id(b[1])], b[0]))
        for _, fn, target, value in bindings:
            if isinstance(target, ast.Name):
                out[(id(fn), target.id)] = self.of(value, fn, depth)


_Binding = tuple[tuple[int, int], Function, ast.expr, "ast.expr | None"]
"""(position, function, target, value) of one assignment, annotated assignment or `with ... as`."""


def _binding_sites(segments_of: Callable[..., list[tuple[list[Any], Function]]]) -> list[_Binding]:
    """The bindings among the code ``segments_of(*types)`` gives a function at a time."""
    bindings: list[_Binding] = []
    for assigns, fn in segments_of(ast.Assign):
        for assign in assigns:
            bindings.extend(((assign.lineno, assign.col_offset), fn, t, assign.value) for t in assign.targets)
    for anns, fn in segments_of(ast.AnnAssign):
        for ann in anns:
            if ann.value is not None:
                bindings.append(((ann.lineno, ann.col_offset), fn, ann.target, ann.value))
    for withs, fn in segments_of(ast.With, ast.AsyncWith):
        for with_ in withs:
            for item in with_.items:
                if item.optional_vars is not None:
                    bindings.append(((with_.lineno, with_.col_offset), fn, item.optional_vars, item.context_expr))
    return bindings
