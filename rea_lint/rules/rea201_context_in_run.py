"""REA201 context-in-run: a Restate context used inside a run action corrupts the journal."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Model
from rea_lint.rules.base import Checker

_HEADER = "import restate, functools\nsvc = restate.VirtualObject('o')\n@svc.handler()\nasync def h(ctx: restate.ObjectContext):\n"


class ContextInRun(Checker):
    code = "REA201"
    needs = "functions"  # it reads defs and run calls only (made in defs)

    def check(self, model: Model) -> Iterator[Finding]:
        for name, _fn, ctx in model.run_context_uses:
            yield self.report(name, subject=name.id, ctx=ctx.name)
        for run in model.run_calls:
            for arg in run.passed:
                target = arg.value if isinstance(arg, ast.Starred) else arg
                held = model.context_of(target, run.function)
                if held is not None:
                    yield self.report(arg, subject=held.name, ctx=held.name)

    invalid = (
        _HEADER + "    await ctx.run_typed('x', lambda: ctx.key())\n",
        _HEADER + "    async def act():\n        return await ctx.get('k')\n    await ctx.run_typed('x', act)\n",
        _HEADER + "    async def act(c):\n        return c\n    await ctx.run_typed('x', act, restate.RunOptions(), ctx)\n",
        _HEADER + "    def act(c):\n        return c\n    await ctx.run('x', functools.partial(act, ctx))\n",
        _HEADER + "    async def act():\n        await ctx.run('inner', lambda: 1)\n    await ctx.run('outer', act)\n",
    )
    valid = (
        _HEADER + "    key = ctx.key()\n    await ctx.run_typed('x', lambda: key.upper())\n",
        _HEADER + "    async def act(k):\n        return k\n    await ctx.run_typed('x', act, k=ctx.key())\n",
        _HEADER + "    await ctx.run_typed('x', lambda ctx: ctx, restate.RunOptions(), 1)\n",
    )
