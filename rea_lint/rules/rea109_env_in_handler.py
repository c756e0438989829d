"""REA109 env-in-handler: the environment can differ between replays on other deployments."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.model import Model, call_name, source_text
from rea_lint.rules.base import CallRule, Detection, NodeSource

_HEADER = "import restate, os\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"

_ENVIRON = frozenset({"os.environ", "os.environb"})
# Methods of os.environ that read it (writes are not reads: `os.environ.setdefault` is both).
_READ_METHODS = frozenset({"get", "copy", "items", "keys", "values", "setdefault", "__getitem__", "__contains__"})


class EnvInHandler(CallRule):
    code = "REA109"
    transitive = True
    targets = frozenset({"os.getenv", "os.getenvb"})

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        yield from super().detect(model, nodes)
        qualify = model.qualify
        for call, fn in nodes(ast.Call):
            # os.environ.get(...) and friends, `dict(os.environ)`
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in _READ_METHODS and qualify(func.value, fn) in _ENVIRON:
                yield call, fn, call_name(call)
            elif call.args and model.call_target(call, fn) in ("builtins.dict", "builtins.list", "builtins.sorted"):
                if isinstance(call.args[0], (ast.Name, ast.Attribute)) and qualify(call.args[0], fn) in _ENVIRON:
                    yield call, fn, call_name(call)
        for sub, fn in nodes(ast.Subscript):
            if isinstance(sub.ctx, ast.Load) and qualify(sub.value, fn) in _ENVIRON:  # type: ignore[arg-type]
                yield sub, fn, source_text(sub)
        for cmp, fn in nodes(ast.Compare):
            if any(isinstance(op, (ast.In, ast.NotIn)) for op in cmp.ops) and any(
                isinstance(c, (ast.Name, ast.Attribute)) and qualify(c, fn) in _ENVIRON for c in cmp.comparators
            ):
                yield cmp, fn, source_text(cmp)

    invalid = (
        _HEADER + "    return os.environ['REGION']\n",
        _HEADER + "    return os.environ.get('REGION', 'eu')\n",
        _HEADER + "    return os.getenv('REGION')\n",
        _HEADER + "    return 'DEBUG' in os.environ\n",
        "import restate\nfrom os import environ\nasync def h(ctx: restate.Context):\n    return environ.copy()\n",
    )
    valid = (
        "import restate, os\nREGION = os.environ.get('REGION', 'eu')\n"
        "async def h(ctx: restate.Context):\n    return REGION\n",
        _HEADER + "    return await ctx.run_typed('region', lambda: os.environ['REGION'])\n",
        _HEADER + "    env = {'A': 1}\n    return env['A']\n",
    )
