"""Calls no rule can judge: mypy is handed no hook for them.

A signature hook costs at every call even when it returns at once (mypy maps the call's
arguments, and for an overloaded callee rebuilds the signature), and about half the calls of
handler code are `str.join`, `len`, `max`, `list.append`; in model classes, `pydantic.Field`.
What the checks judge of a call depends on its names (the hook's, the definition's, the methods
of the receiver's classes, an alias's target), the receiver's classes, the constructed class,
and whether the call decorates a function. For a builtin, and for a plain function defined at
a module's top level (the hook's name is then the definition's, and so is every name the checks
give the call: an alias would hand the hook its own name), the first three are fixed by the
name itself, so the answer is worked out once per name from the rule tables (`inert_function` /
`inert_method`), never from a list written by hand. The same holds for a class of any module,
called or with a method called (`TerminalError(...)`, `digest.hexdigest()`: the hook's name is
the class's own, and so are the names of its MRO), when no class of its MRO is one a rule
judges (contexts, futures, service objects, sagas, clients and files) or is named by a rule
(`_defined_method`). The last is the module's (`decorator_names`): a module whose decorators
might call such a name keeps every hook. Nothing is skipped before the module's own pass has run
(`hooks`), which needs a hook in the module to run at all.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from mypy.nodes import CallExpr, FuncDef, MemberExpr, MypyFile, OverloadedFuncDef, RefExpr, SymbolTableNode, TypeAlias, TypeInfo

from rea_lint.tables import RUN_HELPERS

from mypy_plugin.restate_types import BASES, CTX, FUTURE_BASES, SERVICE_CLASSES
from mypy_plugin.rules.misuse import HELPERS, SAGA
from mypy_plugin.targets import (
    ASYNCIO_COMBINATORS,
    CALLS,
    CLASS_BASES,
    ENV_COPIERS,
    ENV_NAMES,
    ENV_RECEIVER,
    IN_MEMORY_IO,
    IO_RECEIVERS,
    PREFIXES,
)

__all__ = ["InertNames", "decorator_names"]

_BUILTINS = "builtins."
"""Builtin classes and methods can be judged inert: they have no aliases among the targets."""
_PLAIN_MODULES = ("builtins.", "typing.", "typing_extensions.", "collections.abc.", "_collections_abc.")
"""Modules a builtin class's bases come from (`str` is a `typing.Sequence`)."""


class InertNames:
    """Per configuration: which builtin function and method names can never lead to a finding."""

    def __init__(self, context_types: Iterable[str], extra_calls: Mapping[str, tuple[str, ...]],
                 handler_decorators: Iterable[str], lookup: Callable[[str], SymbolTableNode | None]) -> None:
        self._lookup = lookup
        self._names = (frozenset().union(*CALLS.values()) | frozenset(n for ns in extra_calls.values() for n in ns)
                       | ASYNCIO_COMBINATORS | ENV_COPIERS | ENV_NAMES | frozenset(HELPERS) | frozenset(RUN_HELPERS)
                       | frozenset(handler_decorators))
        self._prefixes = tuple(p for ps in PREFIXES.values() for p in ps) + ("rea_runtime.",)
        """(restate's own names are judged by class: `_classes` has every Restate class a rule
        looks at, and a function of restate's no rule names, like a name of any library)"""
        self._classes = (frozenset(context_types) | FUTURE_BASES | {SAGA, ENV_RECEIVER}
                         | frozenset(CTX + name for name, _ in BASES)
                         | IO_RECEIVERS | IN_MEMORY_IO | frozenset(SERVICE_CLASSES)
                         | frozenset().union(*CLASS_BASES.values()))
        # a class call is judged by the class's names too; an extra-calls entry could name an
        # alias of a builtin class, so with extra calls configured no class call is skipped
        self._classes_ok = not any(extra_calls.values())
        self._cache: dict[str, tuple[object, object, bool]] = {}
        """Name -> (the node its answer was judged on, that class's MRO list, the answer): see `_kept`."""
        self._answers: dict[tuple[str, bool], tuple[MypyFile | None, bool]] = {}
        self._builtins: object = None

    def is_inert(self, fullname: str, method: bool, modules: Mapping[str, MypyFile] | None) -> bool:
        """`inert_method` / `inert_function`, remembered per name while mypy's `builtins` tree (for
        a builtin) or the defining module's tree (for another function) is the same object (the
        daemon re-analyses a changed module, and for builtins what they import, as a new tree)."""
        if fullname.startswith(_BUILTINS):
            tree = modules.get("builtins") if modules else None
            if tree is not self._builtins:
                self._answers.clear()
                self._builtins = tree
        elif method:
            return self._defined_method(fullname, modules)
        else:
            # (the module's tree is not enough to tell a class's bases did not change: `_kept`)
            module, _, name = fullname.rpartition(".")
            tree = modules.get(module) if modules else None
            sym = tree.names.get(name) if tree is not None else None
            kept = self._kept(fullname, sym)
            return self._keep(fullname, sym, self.inert_function(fullname, tree)) if kept is None else kept
        key = (fullname, method)
        found = self._answers.get(key)
        if found is None or found[0] is not tree:
            answer = self.inert_method(fullname) if method else self.inert_function(fullname, tree)
            found = self._answers[key] = (tree, answer)
        return found[1]

    def _plain_name(self, name: str) -> bool:
        return name not in self._names and not name.startswith(self._prefixes)

    def _defined_method(self, fullname: str, modules: Mapping[str, MypyFile] | None) -> bool:
        """`inert_method` for a class of another module than builtins, kept per name while the
        class and its MRO are the same objects. Asked at every such method call mypy checks, so
        the class is found in its module's table (two lookups) rather than by its full name; a
        class that is not at its module's top level keeps its hooks."""
        owner, _, method = fullname.rpartition(".")
        if method.startswith("__"):
            return False
        module, _, name = owner.rpartition(".")
        tree = modules.get(module) if modules else None
        sym = tree.names.get(name) if tree is not None else None
        node = sym.node if sym is not None else None
        if not isinstance(node, TypeInfo) or node.fullname != owner:
            return False
        kept = self._kept(fullname, sym)
        if kept is None:
            kept = self._keep(fullname, sym, self._plain_defined_class(node) and self._plain_name(fullname)
                              and self._plain_member(node, method))
        return kept

    def _plain_class(self, info: TypeInfo) -> bool:
        """A builtin class no rule judges: its bases come from the plain modules only."""
        return all(b.fullname.startswith(_PLAIN_MODULES) and b.fullname not in self._classes for b in info.mro)

    def _plain_defined_class(self, info: TypeInfo) -> bool:
        """A class of any module that no rule judges: no class of its MRO is one a rule looks at
        (`_classes`) or names (a target, or under a target prefix)."""
        return all(b.fullname not in self._classes and self._plain_name(b.fullname) for b in info.mro)

    def _plain_member(self, info: TypeInfo, method: str) -> bool:
        """Every class of the MRO that defines `method` defines it as a plain method (the
        definition mypy gives the call is then one of these names), and no name is a target."""
        found = False
        for base in info.mro:
            sym = base.names.get(method)
            if sym is None:
                continue
            found = True
            if not isinstance(sym.node, (FuncDef, OverloadedFuncDef)) or not self._plain_name(f"{base.fullname}.{method}"):
                return False
        return found

    def _kept(self, fullname: str, sym: SymbolTableNode | None) -> bool | None:
        """The answer kept for ``fullname`` (None: none yet, or judged on another node): kept while
        ``sym`` holds the same node and, for a class, the same MRO list (the daemon re-analyses a
        changed module into new nodes, and recomputes a class's MRO when a base changes). Asked at
        every call mypy checks, so a hit is three lookups and no closure (`_keep` stores)."""
        hit = self._cache.get(fullname)
        if hit is None:
            return None
        node = sym.node if sym is not None else None
        if hit[0] is not node or hit[1] is not (node.mro if isinstance(node, TypeInfo) else None):
            return None
        return hit[2]

    def _keep(self, fullname: str, sym: SymbolTableNode | None, answer: bool) -> bool:
        node = sym.node if sym is not None else None
        self._cache[fullname] = (node, node.mro if isinstance(node, TypeInfo) else None, answer)
        return answer

    def inert_function(self, fullname: str, module: MypyFile | None = None) -> bool:
        """A call named `fullname` (no receiver) that no rule can judge, wherever it is: a builtin,
        or a function defined at the top level of `module` (the module `fullname` names)."""
        if not self._plain_name(fullname):
            return False
        if not fullname.startswith(_BUILTINS):
            # the hook's name is the callee's own (`pydantic.fields.Field`, also when imported or
            # re-exported): a plain function there has no other name the checks could see; a
            # class called is judged by its names, its MRO's and its constructor's, as a builtin's
            sym = module.names.get(fullname.rpartition(".")[2]) if module is not None else None
            node = sym.node if sym is not None else None
            if isinstance(node, TypeInfo):
                return (self._classes_ok and node.fullname == fullname and self._plain_defined_class(node)
                        and self._plain_member(node, "__init__") and self._plain_member(node, "__new__"))
            return isinstance(node, (FuncDef, OverloadedFuncDef)) and node.fullname == fullname

        def judge(sym: SymbolTableNode | None) -> bool:
            node = sym.node if sym is not None else None
            if isinstance(node, (FuncDef, OverloadedFuncDef)):
                return node.fullname == fullname
            if isinstance(node, TypeInfo) and self._classes_ok and node.fullname == fullname:
                # the constructor's definition is an `__init__`/`__new__` of the MRO
                return (self._plain_class(node) and self._plain_member(node, "__init__")
                        and self._plain_member(node, "__new__"))
            return False

        sym = self._lookup(fullname)
        kept = self._kept(fullname, sym)
        return self._keep(fullname, sym, judge(sym)) if kept is None else kept

    def inert_method(self, fullname: str) -> bool:
        """A method call named `fullname` (`builtins.str.join`) that no rule can judge (a class of
        another module: `_defined_method`)."""
        if not fullname.startswith(_BUILTINS):
            return False
        owner, _, method = fullname.rpartition(".")
        if not owner or method.startswith("__"):
            return False

        def judge(sym: SymbolTableNode | None) -> bool:
            node = sym.node if sym is not None else None
            return (isinstance(node, TypeInfo) and node.fullname == owner and self._plain_class(node)
                    and self._plain_name(fullname) and self._plain_member(node, method))

        sym = self._lookup(owner)
        kept = self._kept(fullname, sym)
        return self._keep(fullname, sym, judge(sym)) if kept is None else kept


def decorator_names(decorators: Iterable[CallExpr]) -> tuple[frozenset[str], frozenset[str], bool]:
    """What the hooks of a module's decorator calls may be named: (function names, method names,
    unknown). A decorator's hook judges the function it decorates (see `Checks._decorated_pass`)."""
    functions: set[str] = set()
    methods: set[str] = set()
    unknown = False
    for call in decorators:
        callee = call.callee
        if isinstance(callee, MemberExpr):
            methods.add(callee.name)
            if callee.fullname:
                functions.add(callee.fullname)
        elif isinstance(callee, RefExpr):
            if callee.fullname:
                functions.add(callee.fullname)
            node = callee.node
            if isinstance(node, TypeInfo):
                functions.add(node.fullname)
            elif isinstance(node, TypeAlias):
                unknown = True  # named by the alias's target
            else:
                unknown = unknown or not callee.fullname
        else:
            unknown = True  # `@make()()`: named by the type of a call
    return frozenset(functions), frozenset(methods), unknown
