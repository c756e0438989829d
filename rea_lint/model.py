"""The Restate-aware semantic model of one module, built once and shared by every rule.

It answers the questions the rule specification defines: which functions are handlers and of which kind,
which names hold a Restate context, which code is handler code, and which code runs inside a
run action. It works on the stdlib `ast` tree (flake8 already built it), no second parse:
one pass over the code of each function both collects what the rules ask about and indexes
its nodes by type; module-level code is only scanned for definitions. A plain helper (no
context, not a handler) gets that pass only when something asks about it. The model holds
no reference cycle, so a dropped model and its tree are freed at once, without the collector.
"""

from __future__ import annotations

import ast
import builtins
import enum
import sys
import weakref
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import AbstractSet as Set, Any, Callable, Iterator, Sequence, TypeVar

from rea_lint.config import DEFAULT, ReaConfig
from rea_lint.names import ImportMap, dotted
from rea_lint.spelled import Spelled
from rea_lint.tables import RUN_HELPERS, SAGA_RUN_METHODS, SERVICE_FACTORIES

__all__ = [
    "CONTEXT_TYPES",
    "SHARED_CONTEXT_TYPES",
    "Context",
    "Function",
    "HandlerKind",
    "Model",
    "RunCall",
    "build_model",
    "is_restate_module",
    "service_name",
]

N = TypeVar("N", bound=ast.AST)

RESTATE_ROOTS = ("restate", "rea_runtime")
CONTEXT_TYPES = frozenset(
    {"Context", "ObjectContext", "ObjectSharedContext", "WorkflowContext", "WorkflowSharedContext"}
)
SHARED_CONTEXT_TYPES = frozenset({"ObjectSharedContext", "WorkflowSharedContext"})
RUN_METHODS = frozenset({"run", "run_typed"})
SAGA_CLASSES = frozenset({"rea_runtime.Saga", "rea_runtime.saga.Saga"})
_HELPER_ATTRS = frozenset({"run", "run_typed", "request_approval", *SAGA_RUN_METHODS})
_STORING_METHODS = frozenset({"append", "appendleft", "insert", "add", "extend", "setdefault"})
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
_BLOCKS = frozenset(getattr(ast, name) for name in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar", "Match")
                    if hasattr(ast, name))
"""The statements that hold statements, besides definitions (`TryStar` from Python 3.11)."""
_ASSIGNMENTS = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign})
_Bindings = tuple[dict[str, set[str | None]], dict[str, set[str | None]], dict[str, int]]
"""What a body binds (`_Builder._bindings_of`): factories, literal service names, first top-level lines."""
_NESTING = frozenset({ast.If, ast.Try, ast.With})
_BUILTINS = frozenset(dir(builtins))
_Name, _Attribute = ast.Name, ast.Attribute
_LOAD = ast.parse("x", mode="eval").body.ctx  # type: ignore[attr-defined]
"""The parser's one `Load` instance (a tree built by hand has others: compared by type then)."""
_UNKNOWN = object()


class HandlerKind(str, enum.Enum):
    SERVICE = "service"
    EXCLUSIVE = "exclusive"
    SHARED = "shared"
    WORKFLOW = "workflow"


KIND_OF_CONTEXT = {
    "Context": HandlerKind.SERVICE,
    "ObjectContext": HandlerKind.EXCLUSIVE,
    "ObjectSharedContext": HandlerKind.SHARED,
    "WorkflowContext": HandlerKind.WORKFLOW,
    "WorkflowSharedContext": HandlerKind.SHARED,
}


@dataclass(frozen=True)
class Handler:
    """A decorated handler: its kind and the context type its decorator implies."""

    kind: HandlerKind | None
    factory: str | None
    """`Service`, `VirtualObject`, `Workflow`, or None (a configured decorator)."""
    decorator: ast.expr | None
    scope: str | None = None
    """The qualified name of the function whose own service object the decorator names
    (`svc = restate.Service("s")` in a factory or a test); None: a module-level one."""
    service: str | None = None
    """With ``scope``: the service's name as that function spells it, if a literal (a
    module-level object's is `Model.service_names`)."""

    @property
    def expected_context(self) -> str | None:
        if self.kind is None:
            return None
        if self.kind is HandlerKind.SHARED:
            return "WorkflowSharedContext" if self.factory == "Workflow" else "ObjectSharedContext"
        return _EXPECTED_CONTEXT[self.kind]


_EXPECTED_CONTEXT = {
    HandlerKind.SERVICE: "Context",
    HandlerKind.EXCLUSIVE: "ObjectContext",
    HandlerKind.WORKFLOW: "WorkflowContext",
}
"""The context type a handler of each non-shared kind takes (made once, not per question)."""


_CONTEXT_HANDLERS = {name: Handler(kind, None, None) for name, kind in KIND_OF_CONTEXT.items()}
"""Context type -> the `Handler` of an undecorated function whose first parameter has it
(immutable: one shared by every such function)."""
_MIXED_CONTEXT_HANDLER = Handler(None, None, None)
"""That of an undecorated function whose first parameter may be a context of either kind."""
_UNIONS = (ast.BinOp, ast.Subscript, ast.Constant)
"""What an annotation that may be a union is (`A | B`, `Union[A, B]`, `"A | B"`)."""


class Context:
    """A name that holds a Restate context inside some function."""

    __slots__ = ("name", "type", "_owner", "annotation", "mixed")

    def __init__(self, name: str, type: str | None, owner: "Function", annotation: ast.expr | None, mixed: bool = False) -> None:
        self.name = name
        self.type = type
        """The Restate context type its annotation names (`ObjectSharedContext`; a union's first),
        None if unannotated."""
        self._owner = weakref.ref(owner)
        self.annotation = annotation
        self.mixed = mixed
        """Its annotation admits contexts of more than one kind (`ObjectContext | Context`): its
        kind is then its decorated handler's, or not known."""

    @property
    def owner(self) -> "Function":
        """The function whose parameter it is (held weakly: the function holds its contexts,
        and a model without reference cycles is freed as soon as it is dropped)."""
        return self._owner()  # type: ignore[return-value]

    @property
    def kind(self) -> HandlerKind | None:
        handler = self._owner().handler  # type: ignore[union-attr]
        if handler is not None and handler.kind is not None:
            return handler.kind
        return KIND_OF_CONTEXT.get(self.type) if self.type and not self.mixed else None

    def __repr__(self) -> str:
        return f"Context({self.name!r}, {self.type!r})"


class Function:
    """One `def` (at any depth) and what the rules ask about it."""

    __slots__ = (
        "node", "_parent", "qualname", "params", "_local_names", "own_contexts", "handler",
        "_called_names", "children", "contexts", "is_run_action", "is_handler_code", "_own",
        "__weakref__",
    )

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: "Function | None", qualname: str, params: frozenset[str]) -> None:
        self.node = node
        self._parent = None if parent is None else weakref.ref(parent)
        """Held weakly: the parent holds its children (no reference cycle, see `Context.owner`)."""
        self.qualname = qualname
        self.params = params
        self._local_names: set[str] = set(params)
        self.own_contexts: dict[str, Context] = {}
        self.handler: Handler | None = None
        self._called_names: set[str] = set()
        self.children: dict[str, Function] = {}
        self.contexts: dict[str, Context] = {}
        """Every context visible here: its own, and its enclosing functions' unless shadowed."""
        self.is_run_action = False
        self.is_handler_code = False
        self._own: tuple[dict[type, list[ast.AST]], list[ast.Lambda]] | None = None
        """Its own code by node type (as the builder's walk indexed it, run actions passed as
        lambdas left out) and those lambdas; None until walked. A function that cannot be
        handler code and holds no context (a plain helper) is walked on first use, not by the
        builder: most are never asked about."""

    def __repr__(self) -> str:
        return f"Function({self.qualname!r})"

    @property
    def parent(self) -> "Function | None":
        ref = self._parent
        return None if ref is None else ref()

    @property
    def local_names(self) -> set[str]:
        """Parameters and every name assigned in the body: they shadow module imports."""
        if self._own is None:
            _walk_later(self)
        return self._local_names

    @property
    def called_names(self) -> set[str]:
        """The plain names its own code calls (`helper()`)."""
        if self._own is None:
            _walk_later(self)
        return self._called_names

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def handler_name(self) -> str:
        """The name Restate knows this handler by: the decorator's `name` (the SDK's first
        parameter of `handler()` and `main()`, `handler("charge")` or `handler(name="charge")`)
        when it is a literal, else the function's own name (none given, or computed at run time)."""
        deco = self.handler.decorator if self.handler is not None else None
        if isinstance(deco, ast.Call):
            given = call_argument(deco, 0, "name")
            if isinstance(given, ast.Constant) and isinstance(given.value, str) and given.value:
                return given.value
        return self.node.name

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def root(self) -> "Function":
        """The outermost function of the handler code this function belongs to."""
        fn = self
        while fn.parent is not None and fn.parent.is_handler_code and not fn.own_contexts:
            fn = fn.parent
        return fn

    def context_name(self) -> str:
        """The name to suggest in messages and fixes (`ctx`, `context` ...)."""
        for name in self.contexts:
            return name
        return "ctx"


@dataclass(frozen=True)
class RunCall:
    """`ctx.run(...)` / `ctx.run_typed(...)` on a known context, or one of rea_runtime's run
    helpers (`rea_runtime.run(ctx, ...)`, a `Saga`'s `step/register/run`): one run action."""

    call: ast.Call
    function: Function
    context: Context | None
    """None for a rea_runtime helper whose context rea cannot see (`Saga(self.ctx)`)."""
    action: ast.expr | None
    passed: tuple[ast.expr, ...]
    """Expressions evaluated in handler code and handed to the action (run_typed's *args,
    `args=`, a partial's arguments)."""


class Model:
    """What rules ask about one module. Build with `build_model`."""

    def __init__(self, tree: ast.Module, imports: ImportMap, config: ReaConfig) -> None:
        self.tree = tree
        self.imports = imports
        self.config = config
        self.functions: list[Function] = []
        self.service_objects: dict[str, str] = {}
        """Module-level name -> `Service` / `VirtualObject` / `Workflow`."""
        self.service_names: dict[str, str] = {}
        """Module-level name -> the service's name, when given as a literal (`"counter"`)."""
        self.run_calls: list[RunCall] = []
        self.run_context_uses: list[tuple[ast.Name, Function | None, Context]] = []
        """Every read of a context inside a run action, with the action's function if a def."""
        self.module_functions: dict[str, Function] = {}
        """Module-level `def`s by name."""
        self.module_names: set[str] = set()
        """Every name bound at module level (defs, classes, assignments; imports excluded)."""
        self.module_values: dict[str, ast.expr | None] = {}
        """Module-level name -> the value of its single plain assignment (None: assigned
        several times or by unpacking). Defs, classes and imports are not in here."""
        self.module_assignments: dict[str, list[ast.stmt]] = {}
        """Module-level name in `module_values` -> the statements that assign it (or store into it,
        `TABLE["a"] = 1`), in no particular order: what a function reading it computes with
        (`rea diff`'s `fingerprint.module_binding`)."""
        self.handler_code: list[tuple[dict[type, list[ast.AST]], Function]] = []
        """Each function of handler code, in order, with its own code outside run actions by
        node type (as `handler_nodes` sees it). Do not modify."""
        self._plain_code: list[tuple[dict[type, list[ast.AST]], Function]] | None = None
        self._handler_segments: dict[Any, list[tuple[list[ast.AST], Function]]] = {}
        self._plain_segments: dict[Any, list[tuple[list[ast.AST], Function]]] = {}
        """Node type (or tuple of types) -> (nodes of one function, that function), made on first query."""
        self._handler_pairs: dict[Any, list[tuple[ast.AST, Function]]] = {}
        self._plain_pairs: dict[Any, list[tuple[ast.AST, Function]]] = {}
        """Node type (or tuple of types) -> their (node, function) pairs, made on first query."""
        self.spelled: Spelled | None = None
        """What the builder read of the source's text (`Spelled`), if it did: the passes that
        read the same text again share what it has read."""
        self.keyword_fields: list[ast.Call] = []
        """The calls with keywords that give class attributes their value (`id: str =
        Field(default_factory=uuid4)`), noted while the classes are read for their methods: the
        fields `default_factories` looks at, without another walk over every class."""
        self._targets: dict[int, str | None] = {}
        self._context_types: dict[str, str | None] = {}
        self._qualified: dict[str, str | None] = {}
        self.memo: dict[Any, Any] = {}
        """Scratch space that lives as long as the model: what several rules (or transitive
        analysis) derive from it is derived once and shared (`rules.base.memo`)."""

    # -- queries used by rules ------------------------------------------------------------

    def saga_names(self) -> dict[int, set[str]]:
        """Per handler root: the names bound to `rea_runtime.Saga(...)` (assignment or
        `async with ... as`), for the rules that judge saga calls (REA208, REA501)."""
        names: dict[int, set[str]] = {}
        for node, fn in self.handler_nodes(ast.Assign, ast.withitem):
            if isinstance(node, ast.Assign):
                value, targets = node.value, node.targets
            else:
                value, targets = node.context_expr, [node.optional_vars] if node.optional_vars else []  # type: ignore[attr-defined]
            if isinstance(value, ast.Call) and self.qualify(value.func, fn) in SAGA_CLASSES:
                for target in targets:
                    if isinstance(target, ast.Name):
                        names.setdefault(id(fn.root), set()).add(target.id)
        return names

    def handler_nodes(self, *types: type[N]) -> Iterator[tuple[N, Function]]:
        """Nodes of these types in handler code outside run actions, with their function."""
        return _pairs(self.handler_segments, self._handler_pairs, types)

    def handler_segments(self, *types: type[N]) -> list[tuple[list[N], Function]]:
        """`handler_nodes` a function at a time: (its nodes of a type, in order, that function),
        type by type. A rule loops over each function's list instead of over one pair per
        node. Do not modify."""
        return _segments(self.handler_code, self._handler_segments, types)  # type: ignore[return-value]

    def plain_nodes(self, *types: type[N]) -> Iterator[tuple[N, Function]]:
        """Like `handler_nodes`, for the code of functions that are not handler code (plain
        helpers, and run actions defined as functions). Transitive analysis reads it; it is
        indexed on first use, so modules that never ask pay nothing."""
        return _pairs(self.plain_segments, self._plain_pairs, types)

    def plain_segments(self, *types: type[N]) -> list[tuple[list[N], Function]]:
        """`plain_nodes` a function at a time, as `handler_segments` is `handler_nodes`."""
        code = self._plain_code
        if code is None:
            function_nodes = self.function_nodes
            code = self._plain_code = [(function_nodes(fn), fn) for fn in self.functions if not fn.is_handler_code]
        return _segments(code, self._plain_segments, types)  # type: ignore[return-value]

    def function_nodes(self, function: Function) -> dict[type, list[ast.AST]]:
        """The nodes of one function's own code by type, in source order, as `plain_nodes`
        sees them (nested defs and classes left out, run-action lambdas included). Do not
        modify the lists."""
        own, lambdas = function._own or _walk_later(function)
        if lambdas:  # the builder's walk left them out (they are not handler code)
            return _own_index(function, frozenset())
        return own

    def is_local(self, name: str, function: Function | None) -> bool:
        """Is ``name`` bound by ``function`` or a function enclosing it?"""
        fn = function
        while fn is not None:
            if name in (fn._local_names if fn._own is not None else fn.local_names):
                return True
            ref = fn._parent
            fn = None if ref is None else ref()
        return False

    def enclosing_def(self, name: str, function: Function) -> tuple[bool, Function | None]:
        """Is ``name`` bound by ``function`` or a function enclosing it, and if the nearest that
        binds it does so only by one nested `def` (a handler a class's `__init__` or a factory
        defines beside the one calling it), that function. A parameter, an assignment, an
        import, a class or a second def of the name leave it unknown."""
        fn: Function | None = function
        while fn is not None:
            child = fn.children.get(name)
            if name in fn.local_names:
                return True, None
            if child is not None:
                only = _only_def(fn.node.body, name, child.node)
                if only is not None:  # (None: the def is a method of a class in it, bound there)
                    return True, (child if only else None)
            fn = fn.parent
        return False, None

    def qualify(self, node: ast.expr, function: Function | None = None) -> str | None:
        """The qualified name a Name/Attribute chain refers to, respecting parameter shadowing.

        Unshadowed builtins qualify as `builtins.<name>` (`open` -> `builtins.open`).
        The chain's text is only built once its head is known to qualify (most heads are
        locals such as `ctx` or `self`, or unknown names)."""
        cls = type(node)
        attrs: list[str] | None = None
        if cls is _Name:
            head = node.id  # type: ignore[attr-defined]
        elif cls is _Attribute:
            attrs = [node.attr]  # type: ignore[attr-defined]
            base = node.value  # type: ignore[attr-defined]
            while type(base) is _Attribute:
                attrs.append(base.attr)
                base = base.value
            if type(base) is not _Name:
                return None
            head = base.id
        else:
            return None
        fn = function
        while fn is not None:  # `is_local`, inlined
            if head in (fn._local_names if fn._own is not None else fn.local_names):
                return None
            ref = fn._parent
            fn = None if ref is None else ref()
        qual = self.imports.names.get(head)
        if qual is None:
            if head not in _BUILTINS or head in self.module_names:
                return None
            qual = f"builtins.{head}"
        if attrs is None:
            return qual
        attrs.append(qual)
        return ".".join(reversed(attrs))  # (the chain's attributes, read on the way to its head)

    def _qualify_global(self, node: ast.expr) -> str | None:
        """`qualify(node)` outside any function, cached for plain names (`list` in `list[str]`)."""
        if type(node) is not ast.Name:
            return self.qualify(node)
        name = node.id
        qual = self._qualified.get(name, _UNKNOWN)
        if qual is _UNKNOWN:
            qual = self._qualified[name] = self.qualify(node)
        return qual  # type: ignore[return-value]

    def call_target(self, call: ast.Call, function: Function) -> str | None:
        """The qualified name a call in handler code targets (cached: every rule asks)."""
        key = id(call)
        qual = self._targets.get(key, _UNKNOWN)  # (a miss is the common case: no try/except)
        if qual is _UNKNOWN:
            qual = self._targets[key] = self.qualify(call.func, function)
        return qual  # type: ignore[return-value]

    def context_of(self, node: ast.expr, function: Function) -> Context | None:
        if type(node) is _Name:
            return function.contexts.get(node.id)
        return None

    def is_restate_operation(self, call: ast.Call, function: Function) -> bool:
        """A call on a context (`ctx.get(...)`, `ctx.promise("p").value()`), or one that hands a
        context to a helper (`await charge(ctx, order)`): it may add to the journal."""
        contexts = function.contexts
        if not contexts:
            return False
        node = call.func
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Name) and node.id in contexts and node is not call.func:
            return True
        for arg in (*call.args, *(k.value for k in call.keywords)):
            if isinstance(arg, ast.Name) and arg.id in contexts:
                return True
        return False

    def contains_restate_operation(self, body: Sequence[ast.AST], function: Function) -> bool:
        """Does any call under these nodes perform a Restate operation (see above)?"""
        for root in body:
            for node in ast.walk(root):
                if isinstance(node, ast.Call) and self.is_restate_operation(node, function):
                    return True
        return False

    def restate_symbol(self, qualname: str | None) -> str | None:
        """`Service` for `restate.Service`, `restate.service.Service`, `rea_runtime.Service` ..."""
        if not qualname:
            return None
        root = qualname.split(".", 1)[0]
        if root in RESTATE_ROOTS or any(
            qualname.startswith(m + ".") for m in self.config.restate_modules
        ):
            return qualname.rsplit(".", 1)[-1]
        return None

    def context_type_of(self, annotation: ast.expr | None) -> str | None:
        """The Restate context type an annotation names, through aliases, strings and Optional."""
        if annotation is None:
            return None
        cls = type(annotation)
        if cls is _Name:  # the common cases, answered below once per text
            found = self._context_types.get(annotation.id, _UNKNOWN)  # type: ignore[attr-defined]
            if found is not _UNKNOWN:
                return found  # type: ignore[return-value]
        elif cls is _Attribute and type(annotation.value) is _Name:  # type: ignore[attr-defined]
            # `restate.Context`: the key `dotted` would build, without its loop
            found = self._context_types.get(f"{annotation.value.id}.{annotation.attr}", _UNKNOWN)  # type: ignore[attr-defined]
            if found is not _UNKNOWN:
                return found  # type: ignore[return-value]
        if cls is ast.BinOp or cls is ast.Subscript or cls is ast.Constant:  # (what `_union_members` reads)
            members = self._union_members(annotation)
            if members is not None:
                for member in members:
                    found = self.context_type_of(member)
                    if found:
                        return found
                return None
        name = dotted(annotation)
        if name is None:
            return None  # a call, a literal ...: qualifies to nothing
        found = self._context_types.get(name, _UNKNOWN)
        if found is not _UNKNOWN:
            return found  # type: ignore[return-value]
        found = None
        qual = self.qualify(annotation)
        if qual is not None:
            found = self.config.context_types.get(qual) or None
            if not found:
                symbol = self.restate_symbol(qual)
                found = symbol if symbol in CONTEXT_TYPES else None
        self._context_types[name] = found  # a Name/Attribute chain qualifies by its text alone
        return found

    def context_types_of(self, annotation: ast.expr | None) -> list[str]:
        """Every Restate context type an annotation admits, in order: a union's (`A | B`,
        `Union[A, B]`, `Optional[A]`) member by member; `context_type_of` is the first."""
        members = self._union_members(annotation) if annotation is not None else None
        if members is None:
            found = self.context_type_of(annotation)
            return [found] if found else []
        return [t for member in members for t in self.context_types_of(member)]

    def _union_members(self, annotation: ast.expr) -> list[ast.expr] | None:
        """The members of a union annotation, in order (`Annotated[A, ...]` is `A`, a string is
        read as the annotation it spells); None for any other annotation."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return None
            members = self._union_members(annotation)
            return members if members is not None else [annotation]
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            flat: list[ast.expr] = []
            pending: list[ast.expr] = [annotation]
            while pending:  # `A | B | C` nests to the left: flatten without recursing
                member = pending.pop()
                if isinstance(member, ast.BinOp) and isinstance(member.op, ast.BitOr):
                    pending.extend((member.right, member.left))
                else:
                    flat.append(member)
            return flat
        if isinstance(annotation, ast.Subscript):
            outer = self._qualify_global(annotation.value) or ""
            if outer.rsplit(".", 1)[-1] in ("Optional", "Union", "Annotated"):
                inner = annotation.slice
                elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                return elts[:1] if outer.endswith("Annotated") else list(elts)
        return None


def is_restate_module(imports: ImportMap, config: ReaConfig = DEFAULT) -> bool:
    return imports.imports_any((*RESTATE_ROOTS, *config.restate_modules))


# --- building -------------------------------------------------------------------------------


def build_model(
    tree: ast.Module,
    config: ReaConfig = DEFAULT,
    imports: ImportMap | None = None,
    lines: Sequence[str] | None = None,
    text: str | None = None,
) -> Model:
    """The model of ``tree``. With the source it was parsed from (its ``lines`` with their
    ends, as flake8 has them, or its ``text``), a module that imports rea_runtime leaves
    unwalked the plain helpers whose text spells no run helper (see `_Builder.lazy`)."""
    model = Model(tree, imports or ImportMap.from_tree(tree), config)
    _Builder(model, lines, text).build()
    return model


class _Walker:
    """The walk of one function's own code (`_walk`); the builder's, or a later one for a
    plain helper the builder left unwalked (`_walk_later`: its nested defs exist already)."""

    def __init__(self, imported: dict[str, str], creating: bool) -> None:
        self.imported = imported
        self.creating = creating
        """Make a Function of each nested def and walk it (the builder), or skip them."""
        self.raw_run_calls: list[tuple[ast.Call, Function]] = []
        self.walk_lambdas: set[int] = set()
        """Lambdas the walk takes for run actions (`_expect_action`): passed to a context's
        run, a run helper or a saga's step."""
        self.expected: dict[int, Function] = {}
        """Those lambdas -> their function, for the builder to confirm once the calls are resolved."""

    def _new_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: Function | None, prefix: str) -> Function:
        raise NotImplementedError  # only the builder makes functions

    def _note_class(self, node: ast.ClassDef, qualname: str) -> None:
        """A class whose body is about to be walked (the builder notes its decorated defs)."""

    def _expect_action(self, call: ast.Call, fn: Function, action: ast.expr | None) -> None:
        """A lambda passed to what may run it as a run action is walked as one from the start;
        if the call turns out not to run it, the builder indexes the function again
        (`_Builder.build`)."""
        if type(action) is ast.Lambda:
            self.walk_lambdas.add(id(action))
            self.expected[id(action)] = fn

    def _expect_method_actions(self, call: ast.Call, fn: Function, receiver: str, method: str) -> None:
        """The lambdas `<receiver>.<method>(...)` may run: a context's `run`/`run_typed`, a run
        helper of an imported module (`rea_runtime.run(ctx, "x", act)`), a saga's step or
        compensation (`saga.step(..., compensate=lambda r: ...)`)."""
        if receiver in fn.contexts:
            if method in RUN_METHODS:
                self._expect_action(call, fn, call_argument(call, 1, "action"))
            return
        module = self.imported.get(receiver)
        helper = RUN_HELPERS.get(f"{module}.{method}") if module is not None else None
        if helper is not None:
            self._expect_action(call, fn, call_argument(call, helper[0], helper[1]))
        elif method in SAGA_RUN_METHODS:
            for position, keyword in SAGA_RUN_METHODS[method]:
                self._expect_action(call, fn, call_argument(call, position, keyword))

    def _walk(self, body: Sequence[ast.AST], fn: Function, indexed: bool) -> None:
        """The one pass over a function's own code (nested defs get a pass of their own).

        It records the names the function binds and calls and its `ctx.run` calls, and
        (``indexed``) indexes every node by type, in source order, for `handler_nodes` and
        `plain_nodes`. Class bodies inside the function are walked but not indexed, and so is
        a lambda it takes for a run action (`walk_lambdas`: kept aside for pass 2).

        The four commonest node types (names, constants, calls, attributes: three nodes in
        four) are tested first by identity; the rest go through `_WALK` (see `_walk_spec`)."""
        # the index is filled the same way either way; unindexed, it is dropped
        names: list[ast.AST] = []
        constants: list[ast.AST] = []
        calls: list[ast.AST] = []
        attributes: list[ast.AST] = []
        own: dict[type, list[ast.AST]] = {ast.Name: names, ast.Constant: constants, ast.Call: calls, ast.Attribute: attributes}
        lambdas: list[ast.Lambda] = []
        local_names, called_names, contexts = fn._local_names, fn._called_names, fn.contexts
        add_local, add_called = local_names.add, called_names.add
        run_lambdas = self.walk_lambdas
        raw_run_calls = self.raw_run_calls
        imported = self.imported
        specs, own_get = _WALK, own.get
        name_t, load_t, constant_t, call_t, attribute_t = ast.Name, ast.Load, ast.Constant, ast.Call, ast.Attribute
        load = _LOAD
        stack: list[ast.AST] = list(reversed(body))
        pop, push, extend = stack.pop, stack.append, stack.extend
        add_name, add_attribute = names.append, attributes.append
        while stack:
            node = pop()
            cls = type(node)
            if cls is name_t:
                add_name(node)
                ctx = node.ctx  # type: ignore[attr-defined]
                if ctx is not load and type(ctx) is not load_t:  # (the parser shares one Load)
                    add_local(node.id)  # type: ignore[attr-defined]
                continue
            if cls is constant_t:
                constants.append(node)
                continue
            if cls is attribute_t:
                # `a.b.c`: the chain down to its name is visited here, in the order the stack
                # would visit it (a node's first child is always popped next)
                add_attribute(node)
                value = node.value  # type: ignore[attr-defined]
                while type(value) is attribute_t:
                    add_attribute(value)
                    value = value.value
                if type(value) is name_t:
                    add_name(value)
                    ctx = value.ctx
                    if ctx is not load and type(ctx) is not load_t:
                        add_local(value.id)
                else:
                    push(value)
                continue
            if cls is call_t:
                calls.append(node)
                func = node.func  # type: ignore[attr-defined]
                ftype = type(func)
                if ftype is name_t:
                    add_called(func.id)
                    helper = RUN_HELPERS.get(imported.get(func.id))  # type: ignore[arg-type]
                    if helper is not None:  # `run(ctx, "x", act)` from rea_runtime
                        raw_run_calls.append((node, fn))  # type: ignore[arg-type]
                        if contexts:
                            self._expect_action(node, fn, call_argument(node, helper[0], helper[1]))  # type: ignore[arg-type]
                elif ftype is attribute_t and func.attr in _HELPER_ATTRS:
                    raw_run_calls.append((node, fn))  # type: ignore[arg-type]
                    if type(func.value) is name_t and contexts:
                        self._expect_method_actions(node, fn, func.value.id, func.attr)  # type: ignore[arg-type]
                if node.keywords:  # type: ignore[attr-defined]
                    extend(reversed(node.keywords))  # type: ignore[attr-defined]
                if node.args:  # type: ignore[attr-defined]
                    extend(reversed(node.args))  # type: ignore[attr-defined]
                # the callee is visited next: a name or a chain ending in one, here (see above)
                if ftype is name_t:
                    add_name(func)
                    ctx = func.ctx
                    if ctx is not load and type(ctx) is not load_t:
                        add_local(func.id)
                elif ftype is attribute_t:
                    add_attribute(func)
                    value = func.value
                    while type(value) is attribute_t:
                        add_attribute(value)
                        value = value.value
                    if type(value) is name_t:
                        add_name(value)
                        ctx = value.ctx
                        if ctx is not load and type(ctx) is not load_t:
                            add_local(value.id)
                    else:
                        push(value)
                else:
                    push(func)
                continue
            spec = specs.get(cls)
            if spec is None:
                spec = _walk_spec(cls)
            kind = spec[0]
            if kind is _FIELDS:
                bucket = own_get(cls)
                if bucket is None:
                    own[cls] = [node]
                else:
                    bucket.append(node)
                for value in spec[1](node):
                    if type(value) is list:
                        extend(reversed(value))
                    elif value is not None:
                        push(value)
                continue
            if kind is _FIELD:
                bucket = own_get(cls)
                if bucket is None:
                    own[cls] = [node]
                else:
                    bucket.append(node)
                value = getattr(node, spec[1])
                if type(value) is list:
                    extend(reversed(value))
                elif value is not None:
                    push(value)
                continue
            if kind is _LEAF:
                bucket = own_get(cls)
                if bucket is None:
                    own[cls] = [node]
                else:
                    bucket.append(node)
                continue
            if kind is _LAMBDA:
                if indexed and id(node) in run_lambdas:
                    lambdas.append(node)  # type: ignore[arg-type]
                    self._walk(children(node), fn, False)
                    continue
                bucket = own_get(cls)
                if bucket is None:
                    own[cls] = [node]
                else:
                    bucket.append(node)
                push(node.body)  # type: ignore[attr-defined]
                push(node.args)  # type: ignore[attr-defined]
            elif kind is _DEF:
                if self.creating:
                    child = self._new_function(node, fn, "")  # type: ignore[arg-type]
                    fn.children[node.name] = child  # type: ignore[attr-defined]
                    self._walk(child.node.body, child, True)
                # decorators and defaults run in the enclosing scope
                a = node.args  # type: ignore[attr-defined]
                for sub in (*node.decorator_list, *a.defaults, *a.kw_defaults):  # type: ignore[attr-defined]
                    if sub is not None:
                        push(sub)
            elif kind is _CLASS:
                if self.creating:
                    self._note_class(node, f"{fn.qualname}.<locals>.{node.name}")  # type: ignore[arg-type, attr-defined]
                self._walk(node.body, fn, False)  # type: ignore[attr-defined]
            # else: not a node (a None in `Dict.keys`): nothing to do
        if indexed:
            for t in (ast.Name, ast.Constant, ast.Call, ast.Attribute):
                if not own[t]:
                    del own[t]
            fn._own = (own, lambdas)


_NO_IMPORTS: dict[str, str] = {}


def _walk_later(fn: Function) -> tuple[dict[type, list[ast.AST]], list[ast.Lambda]]:
    """Walk a function the builder left unwalked: it holds no context, and it calls no run
    helper (the module imports nothing from rea_runtime, or the function's text spells none
    of them: `_Builder.lazy`), so its code has no run call to find; only its names and its
    index are made."""
    _Walker(_NO_IMPORTS, False)._walk(fn.node.body, fn, True)
    return fn._own  # type: ignore[return-value]


def _imports_rea_runtime(imports: ImportMap) -> bool:
    """Can a name in this module qualify to one of rea_runtime's run helpers or its `Saga`?"""
    return any(q == "rea_runtime" or q.startswith("rea_runtime.") for q in imports.names.values())


class _Builder(_Walker):
    def __init__(self, model: Model, lines: Sequence[str] | None = None, text: str | None = None) -> None:
        super().__init__(model.imports.names, True)
        self.m = model
        self.module_functions: dict[str, Function] = {}
        self.run_lambdas: set[int] = set()
        self.lazy = not _imports_rea_runtime(model.imports)
        """Leave every plain helper unwalked (see `Function._own`): no run helper can be called."""
        self.spelled: Spelled | None = None
        self.run_words: frozenset[str] = frozenset()
        if not self.lazy and (lines is not None or text is not None):
            # A run call is `<name bound to a run helper>(...)` or `<expr>.<helper attribute>(...)`
            # (`_Walker._walk`): a helper whose text spells neither word holds none either.
            spelled = Spelled.of(lines, text)
            if spelled.lines is not None:
                self.spelled = model.spelled = spelled
                self.run_words = _HELPER_ATTRS.union(
                    local for local, qual in model.imports.names.items() if qual in RUN_HELPERS
                )
        self.reindex: set[int] = set()
        """Functions whose run actions include a lambda the walk could not know about."""
        self.extra_decorators = frozenset(model.config.handler_decorators)
        self.local_bindings: dict[int, _Bindings] = {}
        """id(function or class) -> its own bindings (`_bindings_of`), made when a def nested in it is decorated."""
        self.class_of: dict[int, tuple[ast.ClassDef, str]] = {}
        """id(decorated def) -> the class whose body it is a statement of, and the class's qualified name."""
        self.stored: dict[int, set[str]] = {}

    def build(self) -> None:
        self._find_module_names()
        self._find_service_objects()
        self._collect(self.m.tree.body, "")
        self._resolve_run_calls()
        for action, fn in self.expected.items():
            if action not in self.run_lambdas:  # not a run action after all: index it with its function
                self.reindex.add(id(fn))
        for fn in self.m.functions:
            parent = fn.parent
            if fn.is_run_action or (parent is not None and parent.is_run_action):
                fn.is_run_action = True
            elif fn.handler is not None or fn.own_contexts:
                fn.is_handler_code = True
            elif parent is not None and parent.is_handler_code and (
                fn.name in parent._called_names or fn.name in self._stored_names(parent)
            ):
                fn.is_handler_code = True
        m = self.m
        code = m.handler_code
        for fn in m.functions:
            if fn.is_handler_code:  # (handler code is walked by the builder: `_own` is set)
                if id(fn) in self.reindex:  # a run action found only once the calls were resolved
                    code.append((_own_index(fn, self.run_lambdas, self._walk_run_action), fn))
                    continue
                code.append((fn._own[0], fn))  # type: ignore[index]
                for node in fn._own[1]:  # type: ignore[index]
                    params = _lambda_params(node)
                    self._walk_run_action([node.body], None, {k: v for k, v in fn.contexts.items() if k not in params})
            elif fn.is_run_action and (fn.parent is None or not fn.parent.is_run_action):
                self._walk_run_action(fn.node.body, fn, dict(fn.contexts))

    def _stored_names(self, fn: Function) -> set[str]:
        """Names ``fn``'s code stores for a later call: appended to a list, put in a literal
        container, assigned to an item or attribute (the rule specification, "Terms": a compensation list
        called in an `except` is handler code when called)."""
        found = self.stored.get(id(fn))
        if found is None:
            found = self.stored[id(fn)] = set()
            own = fn._own[0]  # type: ignore[index]  # (handler code: walked)
            for call in own.get(ast.Call, ()):
                func = call.func  # type: ignore[union-attr]
                if type(func) is ast.Attribute and func.attr in _STORING_METHODS:
                    found.update(a.id for a in call.args if type(a) is ast.Name)  # type: ignore[union-attr]
            for cls in (ast.List, ast.Tuple, ast.Set):
                for node in own.get(cls, ()):
                    found.update(e.id for e in node.elts if type(e) is ast.Name)  # type: ignore[union-attr]
            for node in own.get(ast.Dict, ()):
                found.update(v.id for v in node.values if type(v) is ast.Name)  # type: ignore[union-attr]
            for node in own.get(ast.Assign, ()):
                value = node.value  # type: ignore[union-attr]
                if type(value) is ast.Name and any(type(t) in (ast.Subscript, ast.Attribute) for t in node.targets):  # type: ignore[union-attr]
                    found.add(value.id)
        return found

    # pass 1: definitions ----------------------------------------------------------------------

    def _find_module_names(self) -> None:
        names, values, assignments = self.m.module_names, self.m.module_values, self.m.module_assignments
        stack: list[ast.stmt] = list(self.m.tree.body)
        while stack:
            stmt = stack.pop()
            cls = type(stmt)
            if cls in _DEFINITIONS:
                names.add(stmt.name)  # type: ignore[attr-defined]
            elif cls in _ASSIGNMENTS:
                targets = stmt.targets if cls is ast.Assign else [stmt.target]  # type: ignore[attr-defined]
                single = cls is not ast.AugAssign and len(targets) == 1
                for target in targets:
                    for node in (target,) if type(target) is ast.Name else ast.walk(target):
                        if isinstance(node, ast.Name):
                            seen = node.id in values
                            value = stmt.value if single and node is target and not seen else None  # type: ignore[attr-defined]
                            names.add(node.id)
                            values[node.id] = value
                            assignments.setdefault(node.id, []).append(stmt)
            elif cls in _NESTING:
                # `try: import x / except ImportError: x = None` and friends
                stack.extend(getattr(stmt, "body", ()))
                stack.extend(getattr(stmt, "orelse", ()))
                for handler in getattr(stmt, "handlers", ()):
                    stack.extend(handler.body)

    def _find_service_objects(self) -> None:
        for stmt in self.m.tree.body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            factory: str | None = None
            name: str | None = None
            if isinstance(value, ast.Call):
                symbol = self.m.restate_symbol(self.m.qualify(value.func))
                if symbol in SERVICE_FACTORIES:
                    factory, name = symbol, service_name(value)
            elif isinstance(value, ast.Name):
                factory = self.m.service_objects.get(value.id)
                name = self.m.service_names.get(value.id)
            if factory:
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.m.service_objects[target.id] = factory
                        if name is not None:
                            self.m.service_names[target.id] = name

    def _collect(self, body: Sequence[ast.stmt], prefix: str) -> None:
        """Module level and class bodies outside functions: only statements can hold a def,
        so expressions here are not walked at all."""
        stack: list[ast.AST] = list(reversed(body))
        pop, extend, blocks = stack.pop, stack.extend, _BLOCK_FIELDS
        function_t, async_function_t = ast.FunctionDef, ast.AsyncFunctionDef
        while stack:
            node = pop()
            cls = type(node)
            if cls is function_t or cls is async_function_t:
                fn = self._new_function(node, None, prefix)  # type: ignore[arg-type]
                if not prefix:
                    self.module_functions[node.name] = fn  # type: ignore[attr-defined]
                    self.m.module_functions[node.name] = fn  # type: ignore[attr-defined]
                if fn.handler is None and not fn.contexts and (
                    self.lazy or (self.spelled is not None and self.spelled.any_of(fn, self.run_words) is False)
                ):
                    self._find_defs(fn.node.body, fn)
                else:
                    self._walk(fn.node.body, fn, True)
            elif cls is ast.ClassDef:
                self._note_class(node, f"{prefix}{node.name}")  # type: ignore[arg-type, attr-defined]
                self._collect(node.body, f"{prefix}{node.name}.")  # type: ignore[attr-defined]
            else:
                fields = blocks.get(cls)
                if fields is None:
                    fields = _block_fields(cls)
                for name in fields:  # (none for a simple statement)
                    extend(reversed(getattr(node, name)))

    def _find_defs(self, body: Sequence[ast.stmt], fn: Function) -> None:
        """A plain helper's nested defs (they hold no context of its): made in the order the
        walk would make them, and walked if they may be handler code; the helper is not."""
        stack: list[ast.AST] = list(reversed(body))
        pop, extend, blocks = stack.pop, stack.extend, _BLOCK_FIELDS
        function_t, async_function_t = ast.FunctionDef, ast.AsyncFunctionDef
        while stack:
            node = pop()
            cls = type(node)
            if cls is function_t or cls is async_function_t:
                child = self._new_function(node, fn, "")  # type: ignore[arg-type]
                fn.children[node.name] = child  # type: ignore[attr-defined]
                if child.handler is None and not child.contexts:
                    self._find_defs(child.node.body, child)
                else:
                    self._walk(child.node.body, child, True)
            elif cls is ast.ClassDef:  # its defs belong to the function, as in `_walk`
                self._note_class(node, f"{fn.qualname}.<locals>.{node.name}")  # type: ignore[arg-type, attr-defined]
                extend(reversed(node.body))  # type: ignore[attr-defined]
            else:
                fields = blocks.get(cls)
                if fields is None:
                    fields = _block_fields(cls)
                for name in fields:  # (none for a simple statement)
                    extend(reversed(getattr(node, name)))

    def _new_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: Function | None, prefix: str) -> Function:
        a = node.args
        positional = [*a.posonlyargs, *a.args] if a.posonlyargs else a.args
        kwonly, vararg, kwarg = a.kwonlyargs, a.vararg, a.kwarg
        if kwonly or vararg or kwarg:
            every = [*positional, *kwonly]
            if vararg:
                every.append(vararg)
            if kwarg:
                every.append(kwarg)
        else:  # (most functions: no list to copy)
            every = positional
        name = node.name
        qual = f"{parent.qualname}.<locals>.{name}" if parent else f"{prefix}{name}"
        params = frozenset([p.arg for p in every])
        fn = Function(node, parent, qual, params)
        handler = fn.handler = self._handler_of(node, parent) if node.decorator_list else None
        own = fn.own_contexts
        known = self.m._context_types
        first = handler is not None and positional
        for p in every:
            ann = p.annotation
            if ann is None:
                if first:
                    own[p.arg] = Context(p.arg, None, fn, None)
                    first = False
                continue
            # `context_type_of`, its cache for plain names inlined (most annotations)
            ctype = known.get(ann.id, _UNKNOWN) if type(ann) is _Name else _UNKNOWN
            if ctype is _UNKNOWN:
                ctype = self.m.context_type_of(ann)
            if ctype is not None or first:  # (`first` only for every[0], which is positional[0])
                mixed = ctype is not None and type(ann) in _UNIONS and len({KIND_OF_CONTEXT.get(t) for t in self.m.context_types_of(ann)}) > 1
                own[p.arg] = Context(p.arg, ctype, fn, ann, mixed)  # type: ignore[arg-type]
            first = False
        if own:
            if handler is None and positional:
                head = own.get(positional[0].arg)
                if head is not None and head.type is not None:
                    # a function whose first parameter is a Restate context is a handler (the rule
                    # specification), of the kind its context says, if one kind
                    fn.handler = _MIXED_CONTEXT_HANDLER if head.mixed else _CONTEXT_HANDLERS[head.type]
        # every context visible here: the enclosing function's unless shadowed, then its own
        if parent is not None and parent.contexts:
            contexts = dict(parent.contexts)
            for shadowed in params:
                contexts.pop(shadowed, None)
            contexts.update(own)
            fn.contexts = contexts
        elif own:
            fn.contexts = dict(own)
        self.m.functions.append(fn)
        return fn

    def _handler_of(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: Function | None) -> Handler | None:
        for deco in node.decorator_list:
            call = deco if isinstance(deco, ast.Call) else None
            target = call.func if call else deco
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                if target.attr not in ("handler", "main"):
                    continue
                # a service object the class body around the def made (`svc = restate.Service("s")`
                # there), or an enclosing function (a factory or a test), else the module's: the
                # decorator is evaluated in the class body, which sees those functions' names
                name, scope, where = target.value.id, parent, None
                bound, factory, service = False, None, None
                klass = self.class_of.get(id(node))
                if klass is not None:
                    bound, factory, service = self._local_service(klass[0], name)
                    where = klass[1]
                while not bound and scope is not None:
                    bound, factory, service = self._local_service(scope, name)
                    where = scope.qualname
                    scope = scope.parent
                if not bound:
                    factory, where = self.m.service_objects.get(name), None
                if factory is not None:
                    return Handler(_kind(factory, target.attr, call), factory, deco, where, service)
            elif isinstance(target, ast.Attribute) and target.attr in ("handler", "main") and parent is not None:
                # `@self.svc.handler()` in the function that sets `self.svc = restate.Service("s")`
                # above it (what the attribute held before is not known)
                receiver = dotted(target.value)
                if receiver is not None:
                    _, factory, service = self._local_service(parent, receiver, above=deco.lineno)
                    if factory is not None:
                        return Handler(_kind(factory, target.attr, call), factory, deco, parent.qualname, service)
            if self.extra_decorators and self.m.qualify(target) in self.extra_decorators:
                return Handler(None, None, deco)
        return None

    def _local_service(self, owner: Function | ast.ClassDef, name: str, above: int | None = None) -> tuple[bool, str | None, str | None]:
        """Does ``owner``'s own code (a function's, or a class body's) bind ``name`` (nested
        scopes aside, an attribute's dotted text too: `self.svc`); if it binds it only to
        service objects of one factory (`Service`, `VirtualObject`, `Workflow`), which one;
        and if always to one literal service name, that name. With ``above``, a factory only
        if a statement of the body itself binds it above that line (it ran before)."""
        bindings = self.local_bindings.get(id(owner))
        if bindings is None:
            body = owner.body if isinstance(owner, ast.ClassDef) else owner.node.body
            bindings = self.local_bindings[id(owner)] = self._bindings_of(body)
        found = bindings[0].get(name)
        if found is None:
            return False, None, None
        if above is not None and bindings[2].get(name, above) >= above:
            return True, None, None
        factory = next(iter(found)) if len(found) == 1 else None
        spelled = bindings[1].get(name, ())
        return True, factory, (next(iter(spelled)) if factory is not None and len(spelled) == 1 else None)

    def _note_class(self, node: ast.ClassDef, qualname: str) -> None:
        # (most class bodies are flat, model classes most of all: a statement at a time, and
        # `_own_statements` only into a block, `if TYPE_CHECKING:` and the like)
        note = (node, qualname)
        function_t, async_function_t = ast.FunctionDef, ast.AsyncFunctionDef
        for stmt in node.body:
            cls = type(stmt)
            if cls is function_t or cls is async_function_t:
                if stmt.decorator_list:  # type: ignore[attr-defined]
                    self.class_of[id(stmt)] = note
            elif cls is ast.AnnAssign:
                value = stmt.value  # type: ignore[attr-defined]
                if type(value) is ast.Call and value.keywords:
                    self.m.keyword_fields.append(value)
            elif cls in _BLOCKS:
                for inner in _own_statements([stmt]):
                    if (type(inner) is function_t or type(inner) is async_function_t) and inner.decorator_list:
                        self.class_of[id(inner)] = note

    def _bindings_of(self, body: Sequence[ast.stmt]) -> _Bindings:
        """Each name the statements of ``body`` (a function's or a class's) bind, and each
        attribute they set (`self.svc`) -> what they bind it to: a service factory, or None for
        anything else; the service names those factories are given (None: not a literal); and
        the line of the first statement of the body itself (not of a block in it) that binds it
        to a factory. Asked once per body: a test, a factory or an `__init__` defines several handlers."""
        found: dict[str, set[str | None]] = {}
        spelled: dict[str, set[str | None]] = {}
        first: dict[str, int] = {}
        top = {id(stmt) for stmt in body}
        for stmt in _own_statements(body):
            cls = type(stmt)
            if cls is ast.Assign or cls is ast.AnnAssign or cls is ast.AugAssign:
                targets = stmt.targets if cls is ast.Assign else [stmt.target]  # type: ignore[attr-defined]
                value = stmt.value  # type: ignore[attr-defined]
                plain = cls is not ast.AugAssign and len(targets) == 1 and type(targets[0]) in (ast.Name, ast.Attribute)
                symbol = self.m.restate_symbol(self.m.qualify(value.func)) if plain and isinstance(value, ast.Call) else None
                kept = symbol if symbol in SERVICE_FACTORIES else None
                for key in _bound_keys(targets):
                    found.setdefault(key, set()).add(kept)
                bound = dotted(targets[0]) if kept is not None else None
                if bound is not None:
                    spelled.setdefault(bound, set()).add(service_name(value))
                    if id(stmt) in top:
                        line = stmt.lineno  # type: ignore[attr-defined]
                        first[bound] = min(first.get(bound, line), line)
            elif cls in _DEFINITIONS:
                found.setdefault(stmt.name, set()).add(None)  # type: ignore[attr-defined]
            elif cls is ast.Import or cls is ast.ImportFrom:
                for alias in stmt.names:  # type: ignore[attr-defined]
                    found.setdefault(alias.asname or alias.name.split(".")[0], set()).add(None)
            elif cls is ast.For or cls is ast.AsyncFor:
                for key in _bound_keys([stmt.target]):  # type: ignore[attr-defined]
                    found.setdefault(key, set()).add(None)
            elif cls is ast.With or cls is ast.AsyncWith:
                for key in _bound_keys([i.optional_vars for i in stmt.items if i.optional_vars is not None]):  # type: ignore[attr-defined]
                    found.setdefault(key, set()).add(None)
        return found, spelled, first

    # run actions ------------------------------------------------------------------------------

    def _resolve_run_calls(self) -> None:
        for call, fn in self.raw_run_calls:
            func = call.func
            receiver = func.value if isinstance(func, ast.Attribute) else None
            ctx = fn.contexts.get(receiver.id) if isinstance(receiver, ast.Name) else None
            if ctx is not None and func.attr in RUN_METHODS:  # type: ignore[attr-defined]
                self._context_run(call, fn, ctx)
                continue
            helper = RUN_HELPERS.get(self.m.qualify(func, fn) or "")
            if helper is not None:
                self._helper_run(call, fn, helper)
            elif isinstance(receiver, ast.Name) and func.attr in SAGA_RUN_METHODS:  # type: ignore[attr-defined]
                saga = self._saga_of(receiver.id, fn)
                if saga is not False:
                    for position, keyword in SAGA_RUN_METHODS[func.attr]:  # type: ignore[attr-defined]
                        action = call_argument(call, position, keyword)
                        if action is not None:
                            self._add_run(call, fn, saga, action, [])  # type: ignore[arg-type]

    def _context_run(self, call: ast.Call, fn: Function, ctx: Context) -> None:
        method = call.func.attr  # type: ignore[attr-defined]
        action = call_argument(call, 1, "action")
        passed: list[ast.expr] = []
        if method == "run_typed":
            passed.extend(call.args[3:])
            passed.extend(k.value for k in call.keywords if k.arg not in ("name", "action", "options"))
        else:
            args_kw = _keyword(call, "args")
            if isinstance(args_kw, (ast.Tuple, ast.List)):
                passed.extend(args_kw.elts)
            elif args_kw is not None:
                passed.append(args_kw)
        self._add_run(call, fn, ctx, action, passed)

    def _helper_run(self, call: ast.Call, fn: Function, helper: tuple[int, str | None, bool]) -> None:
        """`rea_runtime.run(ctx, "name", action)` and friends: the context is the first argument."""
        position, keyword, forwards = helper
        action = call_argument(call, position, keyword)
        passed: list[ast.expr] = []
        if forwards:
            passed.extend(call.args[position + 1:])
            passed.extend(k.value for k in call.keywords if k.arg not in _HELPER_OPTIONS)
        first = call.args[0] if call.args else None
        ctx = fn.contexts.get(first.id) if isinstance(first, ast.Name) else None
        self._add_run(call, fn, ctx, action, passed)

    def _add_run(self, call: ast.Call, fn: Function, ctx: Context | None, action: ast.expr | None, passed: list[ast.expr]) -> None:
        if isinstance(action, ast.Call) and self.m.qualify(action.func, fn) in ("functools.partial",):
            passed.extend(action.args[1:])
            passed.extend(k.value for k in action.keywords)
            target = action.args[0] if action.args else None
        else:
            target = action
        self._mark_action(target, fn)
        self.m.run_calls.append(RunCall(call, fn, ctx, action, tuple(passed)))

    def _saga_of(self, name: str, fn: Function) -> Context | None | bool:
        """If ``name`` is bound to a rea_runtime `Saga` (`saga = Saga(ctx)`, `async with Saga(ctx)
        as saga`, a parameter annotated `Saga`) in ``fn`` or an enclosing function: the context
        it was given (None if rea cannot see it). False if it is not a saga."""
        scope: Function | None = fn
        while scope is not None and name not in scope.local_names:
            scope = scope.parent
        if scope is None:
            return False
        qualify = self.m.qualify
        if name in scope.params:
            a = scope.node.args
            for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
                if p.arg == name and p.annotation is not None:
                    ann = p.annotation
                    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
                        try:
                            ann = ast.parse(ann.value, mode="eval").body
                        except SyntaxError:
                            return False
                    return None if qualify(ann) in SAGA_CLASSES else False
            return False
        own = scope._own or _walk_later(scope)
        found: Context | None | bool = False
        for node in (*own[0].get(ast.Assign, ()), *own[0].get(ast.AnnAssign, ()), *own[0].get(ast.withitem, ())):
            if isinstance(node, ast.withitem):
                value, targets = node.context_expr, [node.optional_vars]
            elif isinstance(node, ast.Assign):
                value, targets = node.value, node.targets  # type: ignore[assignment]
            else:
                value, targets = node.value, [node.target]
            if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
                continue
            if not (isinstance(value, ast.Call) and qualify(value.func, scope) in SAGA_CLASSES):
                return False  # bound to something else too: not surely a saga
            first = value.args[0] if value.args else _keyword(value, "ctx")
            found = scope.contexts.get(first.id) if isinstance(first, ast.Name) else None
        return found

    def _mark_action(self, target: ast.expr | None, fn: Function) -> None:
        if isinstance(target, ast.Lambda):
            self.run_lambdas.add(id(target))
            if id(target) not in self.walk_lambdas:  # `functools.partial(lambda ...)`
                self.reindex.add(id(fn))
        elif isinstance(target, ast.Name):
            scope: Function | None = fn
            while scope is not None:
                found = scope.children.get(target.id)
                if found is not None:
                    found.is_run_action = True
                    return
                scope = scope.parent
            found = self.module_functions.get(target.id)
            if found is not None:
                found.is_run_action = True

    # pass 2: handler code ---------------------------------------------------------------------

    def _walk_run_action(self, body: Sequence[ast.AST], fn: Function | None, contexts: dict[str, Context]) -> None:
        if not contexts:
            return
        stack: list[tuple[ast.AST, dict[str, Context]]] = [(n, contexts) for n in reversed(body)]
        uses = self.m.run_context_uses
        while stack:
            node, visible = stack.pop()
            if isinstance(node, ast.Name):
                ctx = visible.get(node.id)
                if ctx is not None and isinstance(node.ctx, ast.Load):
                    uses.append((node, fn, ctx))
                continue
            if isinstance(node, ast.Lambda):
                params = _lambda_params(node)
                inner = {k: v for k, v in visible.items() if k not in params}
                stack.append((node.body, inner))
                continue
            if isinstance(node, _FUNCTION_NODES):
                a = node.args
                params = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, *(x for x in (a.vararg, a.kwarg) if x))}
                inner = {k: v for k, v in visible.items() if k not in params}
                stack.extend((n, inner) for n in reversed(node.body))
                continue
            stack.extend((child, visible) for child in reversed(children(node)))


def _segments(code: list[tuple[dict[type, list[ast.AST]], Function]], made: dict[Any, list[tuple[list[ast.AST], Function]]], types: tuple[type, ...]) -> list[tuple[list[ast.AST], Function]]:
    """(nodes of one function, that function) for these types from ``code``, type by type;
    each type's list (and each combination's: rules ask for the same few) is made once."""
    if not types:
        return []
    key: Any = types[0] if len(types) == 1 else types
    found = made.get(key)
    if found is None:
        if len(types) == 1:
            found = made[key] = [(own[key], fn) for own, fn in code if key in own]
        else:
            found = []
            for t in types:
                segments = made.get(t)
                found.extend(segments if segments is not None else _segments(code, made, (t,)))
            made[key] = found
    return found


def _pairs(segments: Callable[..., list[tuple[list[ast.AST], Function]]], made: dict[Any, list[tuple[ast.AST, Function]]], types: tuple[type, ...]) -> Iterator[Any]:
    """The (node, function) pairs of these types, type by type, from ``segments``; each
    list is made once (`zip` in C) and then iterated as a plain list."""
    if not types:
        return iter(())
    key: Any = types[0] if len(types) == 1 else types
    found = made.get(key)
    if found is None:
        found = made[key] = []
        for nodes, fn in segments(*types):
            found.extend(zip(nodes, repeat(fn)))
    return iter(found)


def _own_index(fn: Function, run_lambdas: Set[int], on_run_lambda: Callable[..., None] | None = None) -> dict[type, list[ast.AST]]:
    """One function's code by node type with `_index_body` (the builder's walk does this for
    the common case)."""
    index: dict[type, list[tuple[ast.AST, Function]]] = {}
    _index_body(fn.node.body, fn, index, run_lambdas, on_run_lambda)
    return {t: [node for node, _ in items] for t, items in index.items()}


def _index_body(body, fn, index, run_lambdas, on_run_lambda=None) -> None:
    """Index every node of a function body by type (nested defs and classes excluded: a nested
    def is a Function of its own). Run-action lambdas are handed to ``on_run_lambda``."""
    stack: list[ast.AST] = list(reversed(body))
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        if isinstance(node, _FUNCTION_NODES):
            extend(n for n in (*node.decorator_list, *node.args.defaults, *node.args.kw_defaults) if n)
            continue
        if isinstance(node, ast.ClassDef):
            continue
        if run_lambdas and isinstance(node, ast.Lambda) and id(node) in run_lambdas:
            if on_run_lambda is not None:
                params = _lambda_params(node)
                on_run_lambda([node.body], None, {k: v for k, v in fn.contexts.items() if k not in params})
            continue
        bucket = index.get(type(node))
        if bucket is None:
            bucket = index[type(node)] = []
        bucket.append((node, fn))
        extend(reversed(children(node)))


# How `_Builder._walk` treats a node class that is not one of the four it tests first.
_FIELDS, _FIELD, _LEAF, _LAMBDA, _DEF, _CLASS, _SKIP = range(7)
# Fields that hold identifiers or constants, never a node (by node class).
_NAME_FIELDS: dict[str, frozenset[str]] = {
    "Attribute": frozenset({"attr"}),
    "arg": frozenset({"arg"}),
    "keyword": frozenset({"arg"}),
    "alias": frozenset({"name", "asname"}),
    "ImportFrom": frozenset({"module"}),
    "Global": frozenset({"names"}),
    "Nonlocal": frozenset({"names"}),
    "ExceptHandler": frozenset({"name"}),
    "MatchAs": frozenset({"name"}),
    "MatchStar": frozenset({"name"}),
    "MatchMapping": frozenset({"rest"}),
    "MatchClass": frozenset({"kwd_attrs"}),
    "MatchSingleton": frozenset({"value"}),
    "Constant": frozenset({"value"}),
}
_SPECIAL = {ast.Lambda: _LAMBDA, ast.FunctionDef: _DEF, ast.AsyncFunctionDef: _DEF, ast.ClassDef: _CLASS}
_WALK: dict[type, tuple[int, Any]] = {}
_BLOCK_FIELDS: dict[type, tuple[str, ...]] = {}


def _walk_spec(cls: type) -> tuple[int, Any]:
    """How the walk handles ``cls``: its fields that may hold child nodes (identifier and
    leaf fields left out), last first, since the walk pushes them on a stack; one field is
    read with getattr, several with one `attrgetter` call (a tuple, built in C)."""
    if not (isinstance(cls, type) and issubclass(cls, ast.AST)):
        spec: tuple[int, Any] = (_SKIP, None)
    elif cls in _SPECIAL:
        spec = (_SPECIAL[cls], None)
    else:
        skip = _NAME_FIELDS.get(cls.__name__, frozenset())
        fields = tuple(f for f in reversed(cls._fields) if f not in _LEAF_FIELDS and f not in skip)
        if not fields:
            spec = (_LEAF, None)
        elif len(fields) == 1:
            spec = (_FIELD, fields[0])
        else:
            spec = (_FIELDS, attrgetter(*fields))
    _WALK[cls] = spec
    return spec


def _bound_names(targets: Sequence[ast.expr]) -> set[str]:
    """The names assignment targets bind (`a`, `a, b`, `[a, *b]`; not `a.x` or `a[0]`)."""
    names: set[str] = set()
    stack = list(targets)
    while stack:
        t = stack.pop()
        if type(t) is ast.Name:
            names.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            stack.extend(t.elts)
        elif type(t) is ast.Starred:
            stack.append(t.value)
    return names


def _own_statements(body: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement of a function's own ``body``, the `except` clauses and `case`s of its
    compound statements included: a nested def or class is given, its body is not entered."""
    stack: list[ast.AST] = list(body)
    while stack:
        stmt = stack.pop()
        yield stmt
        cls = type(stmt)
        if cls in _DEFINITIONS:
            continue
        fields = _BLOCK_FIELDS.get(cls)  # the statements of `for`, `with`, `if`, `try` ...
        if fields is None:
            fields = _block_fields(cls)
        for field in fields:
            stack.extend(getattr(stmt, field))


def _only_def(body: Sequence[ast.stmt], name: str, node: ast.AST) -> bool | None:
    """Is ``node`` the only statement of a function's own ``body`` that binds ``name``, other
    than assignments (`Function.local_names` has those)? None: nothing there binds it (``node``
    is in a class's body)."""
    seen = other = False
    for stmt in _own_statements(body):
        cls = type(stmt)
        if cls in _DEFINITIONS:
            if stmt is node:
                seen = True
            elif stmt.name == name:  # type: ignore[attr-defined]
                other = True
        elif cls is ast.Import or cls is ast.ImportFrom:
            other = other or any((a.asname or a.name.split(".")[0]) == name for a in stmt.names)  # type: ignore[attr-defined]
        elif cls is ast.Global or cls is ast.Nonlocal:
            other = other or name in stmt.names  # type: ignore[attr-defined]
        elif cls is ast.ExceptHandler:
            other = other or stmt.name == name  # type: ignore[attr-defined]
    if other:
        return False
    return True if seen else None


def _bound_keys(targets: Sequence[ast.expr]) -> set[str]:
    """`_bound_names`, and the dotted text of the attributes the targets set (`self.svc`)."""
    keys = _bound_names(targets)
    stack = list(targets)
    while stack:
        t = stack.pop()
        if type(t) is ast.Attribute:
            key = dotted(t)
            if key is not None:
                keys.add(key)
        elif isinstance(t, (ast.Tuple, ast.List)):
            stack.extend(t.elts)
        elif type(t) is ast.Starred:
            stack.append(t.value)
    return keys


def _block_fields(cls: type) -> tuple[str, ...]:
    """The statement lists of a statement (`body`, `orelse` ...), last first."""
    fields = _BLOCK_FIELDS.get(cls)
    if fields is None:
        blocks = ("body", "orelse", "finalbody", "handlers", "cases")
        fields = _BLOCK_FIELDS[cls] = tuple(f for f in reversed(cls._fields) if f in blocks)  # type: ignore[attr-defined]
    return fields


_LEAF_FIELDS = frozenset({"ctx", "op", "type_comment", "kind", "conversion", "is_async", "simple", "level"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: ast.AST) -> list[ast.AST]:
    """The child nodes of ``node`` in source order, like `ast.iter_child_nodes` but cheaper.

    The fields to look at are cached per node class, and the fields that only ever hold
    leaves (`ctx` = Load/Store, operators) are skipped: no rule asks about them and they are
    a quarter of the nodes in a typical tree.
    """
    cls = type(node)
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _LEAF_FIELDS)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif type(value) is list:
            out.extend(v for v in value if isinstance(v, ast.AST))
    return out


def _kind(factory: str, attr: str, call: ast.Call | None) -> HandlerKind | None:
    if factory == "Service":
        return HandlerKind.SERVICE
    if factory == "Workflow":
        return HandlerKind.WORKFLOW if attr == "main" else HandlerKind.SHARED
    kind = _keyword(call, "kind") if call else None
    if kind is None:
        return HandlerKind.EXCLUSIVE
    if isinstance(kind, ast.Constant):
        if kind.value == "shared":
            return HandlerKind.SHARED
        if kind.value in ("exclusive", None):
            return HandlerKind.EXCLUSIVE
    return None  # a kind computed at run time: rules that depend on it stay silent


_HELPER_OPTIONS = frozenset({"max_attempts", "max_duration", "options"})


def call_argument(call: ast.Call, position: int | None, keyword: str | None) -> ast.expr | None:
    """The argument written at ``position`` or as ``keyword=``; None when it is not written out:
    after a `*args` (`f(*xs, a)`: which parameter gets `a` is known at run time) or in a `**mapping`."""
    if position is not None and len(call.args) > position:
        for arg in call.args[: position + 1]:
            if type(arg) is ast.Starred:
                return None
        return call.args[position]
    return _keyword(call, keyword) if keyword is not None else None


def service_name(factory_call: ast.Call) -> str | None:
    """The service name a factory call spells out (`restate.Service("greeter")`,
    `VirtualObject(name="cart")`); None: computed at run time."""
    given = factory_call.args[0] if factory_call.args else _keyword(factory_call, "name")
    return given.value if isinstance(given, ast.Constant) and isinstance(given.value, str) else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _lambda_params(node: ast.Lambda) -> set[str]:
    a = node.args
    return {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, *(x for x in (a.vararg, a.kwarg) if x))}


def source_text(node: ast.AST, limit: int = 60) -> str:
    """A short rendering of an expression for messages (`str(ctx.uuid())`)."""
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles every expression
        return "<expression>"
    if _SPACED_LAMBDA and "lambda :" in text and any(type(n) is ast.Lambda for n in ast.walk(node)):
        text = text.replace("lambda :", "lambda:")  # as 3.11 on writes it, and as people do
    return shorten(text, limit)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, ending in `...` where cut (for messages)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


_SPACED_LAMBDA = sys.version_info < (3, 11)
"""`ast.unparse` writes `lambda : x` for a lambda without parameters before 3.11."""


def call_name(call: ast.Call) -> str:
    """How a call reads in a message: `time.time()`, `ctx.set(...)`."""
    func = dotted(call.func)
    if func is None:
        try:
            func = ast.unparse(call.func)
        except Exception:  # pragma: no cover - ast.unparse handles every expression
            func = "<call>"
    return f"{func}({'...' if call.args or call.keywords else ''})"
