"""REA109 env-in-handler: the environment can differ between replays on other deployments."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.config import ReaConfig
from rea_lint.model import Function, Model, call_name, source_text
from rea_lint.rules.base import CallRule, Cues, Detection, NodeSource, method_calls, segments
from rea_lint.tables import COPIERS

_HEADER = "import restate, os\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"

_ENVIRON = frozenset({"os.environ", "os.environb"})
_ENVIRON_CUES = Cues(_ENVIRON)
# Builtins that copy the environment, and so read it: `dict(os.environ)`.
# Methods of os.environ that read it (writes are not reads: `os.environ.setdefault` is both).
_READ_METHODS = frozenset({"get", "copy", "items", "keys", "values", "setdefault", "__getitem__", "__contains__"})


class EnvInHandler(CallRule):
    code = "REA109"
    transitive = True
    targets = frozenset({"os.getenv", "os.getenvb"})

    def cues(self, config: ReaConfig) -> Cues:
        """A target, or the name `os.environ` is read through."""
        return Cues.union(self.call_cues(config.extra_calls.get(self.code, ())), _ENVIRON_CUES)

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        yield from super().detect(model, nodes)
        names = {local for local, qual in model.imports.names.items() if qual in _ENVIRON or qual == "os"}
        if not names:
            return  # neither `os` nor `os.environ` imported: nothing can read the environment

        def is_environ(node: ast.expr, fn: Function) -> bool:
            # cheap shape test first: `<name>.environ` or a name bound to os.environ
            if type(node) is ast.Attribute:
                if node.attr not in ("environ", "environb"):
                    return False
            elif type(node) is not ast.Name or node.id not in names:
                return False
            return model.qualify(node, fn) in _ENVIRON

        for call, fn in method_calls(model, nodes, _READ_METHODS):  # os.environ.get(...)
            if is_environ(call.func.value, fn):  # type: ignore[attr-defined]
                yield call, fn, call_name(call)
        for fn_calls, fn in segments(model, nodes, ast.Call):  # dict(os.environ)
            for call in fn_calls:
                func = call.func
                if type(func) is ast.Name and func.id in COPIERS and call.args and is_environ(call.args[0], fn):
                    if model.call_target(call, fn) == f"builtins.{func.id}":
                        yield call, fn, call_name(call)
        for subs, fn in segments(model, nodes, ast.Subscript):
            for sub in subs:
                if isinstance(sub.ctx, ast.Load) and is_environ(sub.value, fn):
                    yield sub, fn, source_text(sub)
        for cmps, fn in segments(model, nodes, ast.Compare):
            for cmp in cmps:
                if any(isinstance(op, (ast.In, ast.NotIn)) for op in cmp.ops) and any(
                    is_environ(c, fn) for c in cmp.comparators
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
