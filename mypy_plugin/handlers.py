"""Which functions are handlers, of which kind, and which code is handler code.

A handler's kind comes from its decorator's resolved target (`VirtualObject.handler`,
`Workflow.main`, ...) and arguments, so a decorator reached through an alias of the service
object, or a subclass of it, counts. The context is judged by type, not by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from mypy.nodes import (
    ARG_NAMED,
    ARG_NAMED_OPT,
    ARG_OPT,
    ARG_POS,
    CallExpr,
    Context,
    Expression,
    FuncDef,
    FuncItem,
    LambdaExpr,
    MemberExpr,
    RefExpr,
    StrExpr,
    Var,
)
from mypy.plugin import CheckerPluginInterface
from mypy.types import CallableType, Type, get_proper_type

from mypy_plugin.index import ModuleIndex
from mypy_plugin.restate_types import ContextTypes, callable_definition, literal_str, service_class_kind

__all__ = ["HandlerInfo", "Handlers", "EXPECTED_CONTEXT", "context_param", "first_param_annotation"]

# handler kind -> the context annotation its decorator implies
EXPECTED_CONTEXT = {
    ("service", "service"): "Context",
    ("object", "exclusive"): "ObjectContext",
    ("object", "shared"): "ObjectSharedContext",
    ("workflow", "workflow"): "WorkflowContext",
    ("workflow", "shared"): "WorkflowSharedContext",
    ("workflow", "exclusive"): "WorkflowContext",
}
_DEFAULT_KIND = {
    ("service", "handler"): "service",
    ("object", "handler"): "exclusive",
    ("workflow", "main"): "workflow",
    ("workflow", "handler"): "shared",
}
_DECORATOR_DEFS = {
    "restate.service.Service.handler": ("service", "handler"),
    "restate.object.VirtualObject.handler": ("object", "handler"),
    "restate.workflow.Workflow.main": ("workflow", "main"),
    "restate.workflow.Workflow.handler": ("workflow", "handler"),
}
_ARG_KINDS = (ARG_POS, ARG_OPT, ARG_NAMED, ARG_NAMED_OPT)


@dataclass(frozen=True)
class HandlerInfo:
    service: str
    """`service`, `object` or `workflow`: the class of the object whose decorator made it."""
    kind: str | None
    """`service` / `exclusive` / `shared` / `workflow`; None when `kind=` is not a literal."""
    decorator: CallExpr

    @property
    def expected_context(self) -> str | None:
        return EXPECTED_CONTEXT.get((self.service, self.kind or ""))


class Handlers:
    """Answers about functions of one module, for one checker (types are looked up lazily)."""

    def __init__(self, api: CheckerPluginInterface, index: ModuleIndex, contexts: ContextTypes,
                 extra_decorators: tuple[str, ...] = ()) -> None:
        self.api = api
        self.index = index
        self.contexts = contexts
        self.extra_decorators = frozenset(extra_decorators)

    # -- types of expressions ------------------------------------------------------------

    def type_of(self, expr: Expression) -> Type | None:
        """The checked type if mypy has one, else the declared or inferred type of the name."""
        typ = None
        try:
            typ = self.api.lookup_type_or_none(expr)  # type: ignore[attr-defined]
        except Exception:
            typ = None
        if typ is not None:
            return typ
        if isinstance(expr, RefExpr):
            node = expr.node
            if isinstance(node, Var):
                if node.type is not None:
                    return node.type
                return self.param_type(node)
            if isinstance(node, FuncDef):
                return node.type
        return None

    def param_type(self, var: Var) -> Type | None:
        """A parameter's declared type (its Var may not carry it before the body is checked)."""
        func = self.index.param_owner.get(id(var))
        if func is None or not isinstance(func.type, CallableType):
            return None
        for arg, typ in zip(func.arguments, func.type.arg_types):
            if arg.variable is var:
                return typ
        return None

    def is_context_expr(self, expr: Expression) -> bool:
        return self.contexts.is_context(self.type_of(expr))

    # -- handlers ------------------------------------------------------------------------

    def handler_info(self, func: FuncItem) -> HandlerInfo | None:
        dec = self.index.decorator_of.get(id(func))
        if dec is None:
            return None
        for d in dec.decorators:
            info = self.decorator_info(d)
            if info is not None:
                return info
        return None

    def decorator_info(self, d: Expression) -> HandlerInfo | None:
        """The handler a decorator expression makes, from its resolved target and `kind=`."""
        if not isinstance(d, CallExpr):
            return None
        callee = d.callee
        target: tuple[str, str] | None = None
        if isinstance(callee, MemberExpr):
            service = service_class_kind(self.type_of(callee.expr))
            if service is not None and (service, callee.name) in _DEFAULT_KIND:
                target = (service, callee.name)
        if target is None:
            defn = callable_definition(self.type_of(callee))
            if defn in _DECORATOR_DEFS:
                target = _DECORATOR_DEFS[defn]
            elif isinstance(callee, RefExpr) and callee.fullname in self.extra_decorators:
                return HandlerInfo("service", "service", d)
        if target is None:
            return None
        kind: str | None = _DEFAULT_KIND[target]
        for arg, name in zip(d.args, d.arg_names):
            if name == "kind":
                kind = arg.value if isinstance(arg, StrExpr) else literal_str(self.type_of(arg))
        return HandlerInfo(target[0], kind, d)

    def context_params(self, func: FuncItem) -> list[int]:
        """Indexes of the parameters whose declared type is a Restate context."""
        sig = func.type
        if not isinstance(sig, CallableType):
            return []
        key = (id(func), id(sig))  # asked at every call in the function: judged once per signature
        found = self.index.context_params.get(key)
        if found is None:
            found = self.index.context_params[key] = [i for i, t in enumerate(sig.arg_types) if self.contexts.is_context(t)]
        return found

    def context_vars(self, func: FuncItem) -> set[Var]:
        """The context parameters `func`'s code can read: its own and those of the functions
        around it, a handler's whether annotated or not."""
        found: set[Var] = set()
        g: FuncItem | None = func
        seen = 0
        while g is not None and seen < 50:
            seen += 1
            if self.handler_info(g) is not None:
                var = context_param(g)
                if var is not None:
                    found.add(var)
            found.update(g.arguments[i].variable for i in self.context_params(g) if i < len(g.arguments))
            g = self.index.enclosing_function(g)
        return found

    def is_handler_code(self, func: FuncItem | None) -> bool:
        """Handler code: a handler, a function that receives a context, or a lambda / nested
        function it calls directly; never a run action."""
        seen = 0
        while func is not None and seen < 50:
            seen += 1
            if self.index.is_run_action(func):
                return False
            if self.context_params(func) or self.handler_info(func) is not None:
                return True
            if isinstance(func, LambdaExpr) or self.index.is_called_directly(func):
                func = self.index.enclosing_function(func)
                continue
            return False
        return False


def _context_index(func: FuncItem) -> int:
    """Where a handler's context parameter sits: first, after `self`/`cls` in a method."""
    if func.info is not None and not func.is_static and len(func.arguments) > 1 and func.arguments[0].variable.name in ("self", "cls"):
        return 1
    return 0


def context_param(func: FuncItem) -> Var | None:
    """A handler's context parameter, annotated or not."""
    if not func.arguments:
        return None
    return func.arguments[_context_index(func)].variable


def first_param_annotation(func: FuncItem) -> tuple[Type | None, Context]:
    """The declared type of the context parameter (the first, after `self`) and a node to point at."""
    if not func.arguments or not isinstance(func.type, CallableType):
        return None, func
    i = _context_index(func)
    arg = func.arguments[i]
    if arg.kind not in _ARG_KINDS or arg.type_annotation is None:
        return None, arg
    return get_proper_type(func.type.arg_types[i]), (arg.type_annotation if arg.type_annotation.line > 0 else arg)
