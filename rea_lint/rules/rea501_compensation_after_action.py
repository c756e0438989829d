"""REA501 compensation-after-action: a saga step's action runs before its compensation is registered.

With rea_runtime's lower-level saga API (`saga.register(name, undo)` then `await saga.run(name,
action)`), running first leaves a window where a crash has done the effect and recorded no
undo. `saga.step(...)` registers first by construction and is never reported. Step names are
judged when they are string literals, in source order within one function.
"""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Function, Model
from rea_lint.rules.base import Checker, saga_names

_HEADER = (
    "import restate\nfrom rea_runtime import Saga\nobj = restate.VirtualObject('trip')\n"
    "@obj.handler()\nasync def book(ctx: restate.ObjectContext):\n"
)


class CompensationAfterAction(Checker):
    code = "REA501"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        sagas = saga_names(model)
        if not sagas:
            return
        calls: dict[int, list[tuple[ast.Call, Function]]] = {}
        for fn_calls, fn in model.handler_segments(ast.Call):
            for call in fn_calls:
                func = call.func
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in ("register", "run")
                    and isinstance(func.value, ast.Name)
                    and func.value.id in sagas.get(id(fn.root), ())
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)
                ):
                    calls.setdefault(id(fn.root), []).append((call, fn))
        for found in calls.values():
            registered: set[tuple[str, str]] = set()
            for call, fn in sorted(found, key=lambda cf: (cf[0].lineno, cf[0].col_offset)):
                key = (call.func.value.id, call.args[0].value)  # type: ignore[attr-defined]
                if call.func.attr == "register":  # type: ignore[attr-defined]
                    registered.add(key)
                elif key not in registered:
                    yield self.report(call, subject=f'{key[0]}.run({key[1]!r}, ...)', ctx=fn.context_name())

    invalid = (
        _HEADER + "    saga = Saga(ctx, 'trip')\n    await saga.run('flight', book_flight)\n"
        "    saga.register('flight', cancel_flight)\n",
        _HEADER + "    async with Saga(ctx) as saga:\n        await saga.run('hotel', book_hotel)\n",
    )
    valid = (
        _HEADER + "    saga = Saga(ctx, 'trip')\n    saga.register('flight', cancel_flight)\n"
        "    await saga.run('flight', book_flight)\n",
        _HEADER + "    async with Saga(ctx) as saga:\n"
        "        await saga.step('hotel', action=book_hotel, compensate=cancel_hotel)\n",
    )
