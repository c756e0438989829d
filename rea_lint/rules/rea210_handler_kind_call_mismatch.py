"""REA210 handler-kind-call-mismatch: a handler called through the client method of another kind.

`ctx.service_call` sends no key, `ctx.object_call`/`workflow_call` send one: the method must
match the kind of service the target handler belongs to. Reported when the target (the
handler function given as the first argument) is a handler of this module whose service
object is known; for `generic_call/generic_send` without a key, when the literal service name
is a Virtual Object or Workflow of this module. Across modules the CLI resolves the target
through the linted project (`rea_lint.project`); a target rea cannot resolve is not reported.
"""

from __future__ import annotations

import ast
from typing import Iterator, NamedTuple

from rea_lint.findings import Finding
from rea_lint.model import Function, Model
from rea_lint.names import dotted
from rea_lint.rules.base import Checker, method_calls

METHOD_KINDS = {
    "service_call": "Service",
    "service_send": "Service",
    "object_call": "VirtualObject",
    "object_send": "VirtualObject",
    "workflow_call": "Workflow",
    "workflow_send": "Workflow",
}
GENERIC_METHODS = ("generic_call", "generic_send")
KEYED = frozenset({"VirtualObject", "Workflow"})
_DEFS = (
    "import restate\ncounter = restate.VirtualObject('counter')\ngreeter = restate.Service('greeter')\n"
    "@counter.handler()\nasync def add(ctx: restate.ObjectContext, n: int) -> int:\n    return n\n"
    "@greeter.handler()\nasync def greet(ctx: restate.Context, name: str) -> str:\n    return name\n"
)
_CALLER = "@greeter.handler()\nasync def caller(ctx: restate.Context):\n"
_CLOSURE = (
    "import restate\nclass Runtime:\n    def __init__(self) -> None:\n"
    "        self.counter = restate.VirtualObject('counter')\n        self.greeter = restate.Service('greeter')\n"
    "        @self.counter.handler()\n        async def add(ctx: restate.ObjectContext, n: int) -> int:\n            return n\n"
    "        @self.greeter.handler()\n        async def caller(ctx: restate.Context):\n"
)
"""Handlers a class's `__init__` defines on service objects it keeps, one calling the other."""


class KindCall(NamedTuple):
    """A `ctx.*_call/*_send` in handler code: what it targets, as written."""

    call: ast.Call
    function: Function
    ctx: str
    method: str
    target: ast.expr | None
    """The handler function passed (typed clients)."""
    service: str | None
    """The literal service name (`generic_*` without a key)."""


def kind_calls(model: Model) -> Iterator[KindCall]:
    for call, fn in method_calls(model, model.handler_nodes, (*METHOD_KINDS, *GENERIC_METHODS)):
        ctx = model.context_of(call.func.value, fn)  # type: ignore[attr-defined]
        if ctx is None:
            continue
        method = call.func.attr  # type: ignore[attr-defined]
        if method in GENERIC_METHODS:
            if len(call.args) >= 4 or any(k.arg in ("key", None) for k in call.keywords):
                continue  # a key is given (or may be, through **kwargs)
            service = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "service"), None)
            if isinstance(service, ast.Constant) and isinstance(service.value, str):
                yield KindCall(call, fn, ctx.name, method, None, service.value)
            continue
        target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "tpe"), None)
        if isinstance(target, (ast.Name, ast.Attribute)):
            yield KindCall(call, fn, ctx.name, method, target, None)


def mismatch(method: str, factory: str) -> bool:
    """Does calling a handler of a ``factory`` service through ``method`` mismatch?"""
    if method in GENERIC_METHODS:
        return factory in KEYED  # only asked for calls without a key
    return METHOD_KINDS[method] != factory


def subject(ctx: str, method: str, handler: str, factory: str, service: str) -> str:
    return f"`{ctx}.{method}(...)` on `{handler}`, a handler of {factory} `{service}`,"


def handler_service(model: Model, fn: Function) -> tuple[str, str] | None:
    """(factory, service name as written or its variable) of a decorated handler."""
    handler = fn.handler
    if handler is None or handler.factory is None or handler.decorator is None:
        return None
    deco = handler.decorator.func if isinstance(handler.decorator, ast.Call) else handler.decorator
    var = (dotted(deco.value) if isinstance(deco, ast.Attribute) else None) or "?"
    if handler.scope is not None:  # a service object a function makes (`self.svc` in `__init__`)
        return handler.factory, handler.service or var
    return handler.factory, model.service_names.get(var, var)


def literal_services(model: Model) -> dict[str, str]:
    """Literal service name -> factory, for this module's service objects."""
    return {name: model.service_objects[var] for var, name in model.service_names.items()}


class HandlerKindCallMismatch(Checker):
    code = "REA210"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        services: dict[str, str] | None = None
        for kc in kind_calls(model):
            if kc.service is not None:
                if services is None:
                    services = literal_services(model)
                factory = services.get(kc.service)
                if factory is not None and mismatch(kc.method, factory):
                    text = f"`{kc.ctx}.{kc.method}({kc.service!r}, ...)` without `key=` on {factory} `{kc.service}`,"
                    yield self.report(kc.call, subject=text, ctx=kc.ctx)
                continue
            target = _local_handler(model, kc.target, kc.function)
            if target is None:
                continue
            found = handler_service(model, target)
            if found is not None and mismatch(kc.method, found[0]):
                yield self.report(kc.call, subject=subject(kc.ctx, kc.method, target.name, *found), ctx=kc.ctx)

    invalid = (
        _DEFS + _CALLER + "    await ctx.service_call(add, arg=1)\n",
        _DEFS + _CALLER + "    ctx.object_send(greet, key='k', arg='x')\n",
        _DEFS + _CALLER + "    await ctx.generic_call('counter', 'add', b'1')\n",
        _CLOSURE + "            await ctx.service_call(add, arg=1)\n",
    )
    valid = (
        _DEFS + _CALLER + "    await ctx.object_call(add, key='k', arg=1)\n",
        _DEFS + _CALLER + "    await ctx.service_call(greet, arg='x')\n",
        _DEFS + _CALLER + "    await ctx.generic_call('counter', 'add', b'1', key='k')\n",
        _DEFS + "from elsewhere import remote\n" + _CALLER + "    await ctx.service_call(remote, arg=1)\n",
        _CLOSURE + "            await ctx.object_call(add, key='k', arg=1)\n",
        # `self.counter` is set twice, to objects of two kinds: which one `add` belongs to is not known
        _CLOSURE + "            await ctx.service_call(add, arg=1)\n        self.counter = restate.Service('c')\n",
    )


def _local_handler(model: Model, target: ast.expr | None, fn: Function) -> Function | None:
    """The handler a plain name denotes: a module-level one, or one defined in a function
    around the caller (handlers a class's `__init__` or a factory defines side by side);
    nothing for a name bound any other way on the way out."""
    if not isinstance(target, ast.Name):
        return None
    bound, found = model.enclosing_def(target.id, fn)
    if bound:
        return found
    if target.id in model.imports.names:
        return None
    return model.module_functions.get(target.id)
