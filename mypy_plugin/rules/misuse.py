"""REA208 action-called-not-passed and REA210 handler-kind-call-mismatch, from types.

REA208: the action handed to a run (`ctx.run/run_typed`, rea_runtime's `run/run_typed`, a
saga's `step/run`) is a call whose type is no callable: a coroutine (an `async def` called),
a generator, `None`, a dict ... Where mypy has no type for the call (an unannotated callee),
only an `async def` or generator callee of the module counts. An unknown callee is silent.

REA210: `ctx.service_*/object_*/workflow_*` on a handler whose decorator belongs to a service
object of another kind, and `generic_call/generic_send` without a key on a literal name that
is a Virtual Object or Workflow of this module.
"""

from __future__ import annotations

from mypy.nodes import (
    BytesExpr, CallExpr, ComparisonExpr, ComplexExpr, Decorator, DictExpr, DictionaryComprehension,
    Expression, FloatExpr, FuncDef, GeneratorExpr, IntExpr, ListComprehension, ListExpr, MemberExpr, NameExpr, RefExpr,
    SetComprehension, SetExpr, StrExpr, TupleExpr, Var,
)
from mypy.traverser import all_return_statements
from mypy.types import (
    AnyType, CallableType, Instance, LiteralType, NoneType, Overloaded, TupleType, Type, TypedDictType, TypeType,
    UnionType, get_proper_type,
)

from mypy_plugin.handlers import Handlers
from mypy_plugin.index import argument, index_for
from mypy_plugin.restate_types import service_class_kind
from rea_lint.tables import RUN_HELPERS

__all__ = ["METHOD_KINDS", "GENERIC_METHODS", "called_not_passed", "declared_not_callable", "kind_mismatch", "run_action_argument"]

METHOD_KINDS = {
    "service_call": "service", "service_send": "service",
    "object_call": "object", "object_send": "object",
    "workflow_call": "workflow", "workflow_send": "workflow",
}
GENERIC_METHODS = frozenset({"generic_call", "generic_send"})
"""The methods REA210 judges by the literal service name they are given."""
_LABEL = {"service": "Service", "object": "VirtualObject", "workflow": "Workflow"}
SAGA = "rea_runtime.saga.Saga"
HELPERS = {name: at for name, (at, _keyword, _forwards) in RUN_HELPERS.items() if name.rpartition(".")[2] in ("run", "run_typed")}
"""rea_runtime's run helpers -> the position of the action (the linter's table), by the name
mypy gives the definition (`rea_runtime.run.run`) and the one an import gives it (`rea_runtime.run`)."""


def on_saga(receiver: Type | None) -> bool:
    """Is the receiver a rea_runtime `Saga` (its `step/register/run` start runs)?"""
    inst = get_proper_type(receiver) if receiver is not None else None
    return isinstance(inst, Instance) and any(b.fullname == SAGA for b in inst.type.mro)


def run_action_argument(call: CallExpr, fullname: str, method: str, on_context: bool, receiver: Type | None) -> Expression | None:
    """The action argument if ``call`` starts a run (a context's, a helper's, a saga's)."""
    if on_context and method in ("run", "run_typed"):
        return argument(call, 1, "action")
    if fullname in HELPERS:
        return argument(call, HELPERS[fullname], "action")
    if method in ("step", "run") and on_saga(receiver):
        return argument(call, 1, "action")
    return None


def _not_callable(typ: Type | None) -> bool:
    t = get_proper_type(typ) if typ is not None else None
    if isinstance(t, UnionType):
        return all(_not_callable(i) for i in t.items)
    if isinstance(t, (NoneType, TupleType, TypedDictType, LiteralType)):
        return True
    if isinstance(t, Instance):
        return t.type.get("__call__") is None and not t.type.has_base("builtins.function")
    return False  # callables, type objects, Any, type variables ...


def called_not_passed(h: Handlers, action: Expression) -> bool:
    """REA208: ``action`` is a call whose result is no callable."""
    if not isinstance(action, CallExpr):
        return False
    t = get_proper_type(h.api.get_expression_type(action))
    if isinstance(t, (CallableType, Overloaded, TypeType)):
        return False
    if isinstance(t, AnyType):
        return declared_not_callable(action)
    return _not_callable(t)


def declared_not_callable(action: CallExpr) -> bool:
    """REA208 where mypy has no type for the call (an unannotated callee, or a body mypy does not
    check): the callee's declaration tells, for a function of the module."""
    callee = action.callee.node if isinstance(action.callee, RefExpr) else None
    if isinstance(callee, Decorator):
        callee = callee.func
    if not isinstance(callee, FuncDef):
        return False
    declared = callee.type.ret_type if isinstance(callee.type, CallableType) else None
    # older mypy gives a `-> None` call used as a value no type: its declaration tells
    if callee.is_coroutine or callee.is_generator or isinstance(get_proper_type(declared), NoneType):
        return True
    if not callee.is_dynamic():
        return _not_callable(declared)  # `-> dict`, where the call's own type is not known
    # an unannotated function gives Any: its `return`s tell, when each is a literal's data
    return all(r.expr is None or isinstance(r.expr, _DATA) for r in all_return_statements(callee))


_DATA = (StrExpr, BytesExpr, IntExpr, FloatExpr, ComplexExpr, ListExpr, TupleExpr, SetExpr, DictExpr,
         ListComprehension, SetComprehension, DictionaryComprehension, GeneratorExpr, ComparisonExpr)
"""What a `return` of an unannotated function gives that is surely no callable (the linter's
`_is_data` reads more: operators, calls of data builtins, names bound to data)."""


def _service_of(h: Handlers, target: Expression) -> tuple[str, str] | None:
    """(`service` / `object` / `workflow`, its name) of the service object a handler's decorator
    belongs to (the module-level handler function `target` names), None if not one."""
    node = target.node if isinstance(target, RefExpr) else None
    if not isinstance(node, Decorator):
        return None
    for d in node.decorators:
        info = h.decorator_info(d)
        if info is not None:
            return info.service, _service_name(h, d)
    return None


def _service_name(h: Handlers, decorator: Expression) -> str:
    """The name a service object was made with (`svc = restate.VirtualObject("counter")` in the
    module that defines it: `counter`), else its variable's name, as the linter words it."""
    callee = decorator.callee if isinstance(decorator, CallExpr) else decorator
    obj = callee.expr if isinstance(callee, MemberExpr) else None
    if not isinstance(obj, RefExpr) or not isinstance(obj.node, Var):
        return "?"
    var = obj.node
    module = h.api.modules.get(var.fullname.rpartition(".")[0]) if var.fullname else None  # type: ignore[attr-defined]
    # (the module being checked has its index already; another module's is made once, and only
    # here, where a mismatch is reported)
    value = index_for(module).module_value(var.name) if module is not None else None
    if isinstance(value, CallExpr):
        arg = argument(value, 0, "name")
        if isinstance(arg, StrExpr):
            return arg.value
    return var.name


def _literal_services(h: Handlers) -> dict[str, str]:
    """Service name -> kind, for `x = restate.VirtualObject("name")` at this module's level."""
    found: dict[str, str] = {}
    tree = getattr(h.api, "tree", None)
    if tree is None:
        return found
    for name, sym in tree.names.items():
        if not isinstance(sym.node, Var):
            continue
        kind = service_class_kind(sym.node.type)
        value = h.index.module_value(name)
        if kind is None or not isinstance(value, CallExpr):
            continue
        arg = argument(value, 0, "name")
        if isinstance(arg, StrExpr):
            found[arg.value] = kind
    return found


def kind_mismatch(h: Handlers, call: CallExpr, method: str, ctx: str = "ctx") -> str | None:
    """REA210: the message subject when ``call`` (`ctx.<method>(...)`) targets another kind."""
    if method in GENERIC_METHODS:
        if argument(call, 3, "key") is not None:
            return None
        service = argument(call, 0, "service")
        if not isinstance(service, StrExpr):
            return None
        kind = _literal_services(h).get(service.value)
        if kind in ("object", "workflow"):  # (the linter's words: `rea_lint.rules.rea210_handler_kind_call_mismatch`)
            return f"`{ctx}.{method}({service.value!r}, ...)` without `key=` on {_LABEL[kind]} `{service.value}`,"
        return None
    expected = METHOD_KINDS.get(method)
    target = argument(call, 0, "tpe") if expected else None
    if target is None:
        return None
    found = _service_of(h, target)
    if found is None or found[0] == expected:
        return None
    kind, service_name = found
    name = target.name if isinstance(target, (NameExpr, MemberExpr)) else "?"
    return f"`{ctx}.{method}(...)` on `{name}`, a handler of {_LABEL[kind]} `{service_name}`,"
