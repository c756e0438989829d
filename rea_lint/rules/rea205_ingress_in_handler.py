"""REA205 ingress-in-handler: the ingress client bypasses the journal from inside a handler."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.model import Function, Model, call_name
from rea_lint.rules.base import CallRule, Detection, NodeSource, segments

_HEADER = "import restate\nimport restate.client\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"

INGRESS_FACTORIES = frozenset(
    {
        "restate.client.create_client",
        "restate.client.Client",
        "restate.create_client",
    }
)


def is_ingress_factory(qualname: str | None) -> bool:
    """restate's client, or anything of rea_runtime's named for ingress (its API is young:
    `rea_runtime.ingress.IngressClient`, `rea_runtime.ingress_client(...)`), errors aside."""
    if not qualname:
        return False
    if qualname in INGRESS_FACTORIES:
        return True
    if qualname.startswith("rea_runtime.") and "ingress" in qualname.lower():
        return not qualname.endswith(("Error", "Exception"))
    return False


class IngressInHandler(CallRule):
    code = "REA205"
    targets = INGRESS_FACTORIES
    judges_names = True

    @classmethod
    def matches(cls, qualname: str, call: ast.Call, extra=()) -> bool:
        return is_ingress_factory(qualname) or qualname in extra

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        yield from super().detect(model, nodes)
        # a client made at import time and used from handler code
        ingress_globals = {
            name
            for name, value in model.module_values.items()
            if isinstance(value, ast.Call) and is_ingress_factory(model.qualify(value.func))
        }
        if not ingress_globals:
            return
        for fn_calls, fn in segments(model, nodes, ast.Call):
            for call in fn_calls:
                func = call.func
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                    name = func.value.id
                    if name in ingress_globals and not _shadowed(name, fn):
                        yield call, fn, call_name(call)

    invalid = (
        _HEADER + "    client = restate.client.create_client('http://localhost:8080')\n",
        "import httpx, restate\nfrom restate.client import Client\nINGRESS = Client(httpx.AsyncClient(base_url='http://x'))\n"
        "async def h(ctx: restate.Context):\n    await INGRESS.service_call(other, 1)\n",
    )
    valid = (
        _HEADER + "    await ctx.service_call(other, 1)\n",
        "import httpx, restate\nfrom restate.client import Client\nINGRESS = Client(httpx.AsyncClient(base_url='http://x'))\n"
        "async def main():\n    await INGRESS.service_call(other, 1)\n",
    )


def _shadowed(name: str, fn: Function) -> bool:
    scope: Function | None = fn
    while scope is not None:
        if name in scope.local_names:
            return True
        scope = scope.parent
    return False
