"""REA208 where mypy calls no hook: the body of an unannotated handler (mypy does not check it)
and rea_runtime's run helpers behind an import mypy does not follow (an editable install behind
an import hook, `follow_imports = "skip"`). The plugin reads those calls by name, as the linter
does, and judges the action by its callee's declaration."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from rea_lint.engine import check_tree
from tests.mypy.harness import run_mypy, write_config

SOURCE = textwrap.dedent('''\
    import restate
    import rea_runtime
    from rea_runtime import run_typed

    svc = restate.Service("s")


    async def trigger() -> str:
        return "x"


    def charge(amount: int) -> dict:
        return {"amount": amount}


    def make_action(name: str):
        def act() -> str:
            return name
        return act


    @svc.handler()
    async def typed(ctx: restate.Context) -> str:
        await run_typed(ctx, "charge", charge(10))
        return await rea_runtime.run(ctx, "trigger", trigger())


    @svc.handler()
    async def unannotated(ctx, name):
        await ctx.run_typed("trigger", trigger())
        await ctx.run("made", make_action(name))
        await rea_runtime.run_typed(ctx, "charge", charge(1))
        return await run_typed(ctx, "made", make_action(name))


    async def plain(notctx, name):
        return await notctx.run("trigger", trigger())
    ''')
WANT = {("app.py", 24, "REA208"), ("app.py", 25, "REA208"), ("app.py", 30, "REA208"), ("app.py", 32, "REA208")}


@pytest.mark.parametrize("skipped", [False, True], ids=["followed", "import-skipped"])
def test_actions_no_hook_sees_are_judged(tmp_path: Path, skipped: bool) -> None:
    (tmp_path / "app.py").write_text(SOURCE, encoding="utf-8")
    overrides = '\n[[tool.mypy.overrides]]\nmodule = ["rea_runtime", "rea_runtime.*"]\nfollow_imports = "skip"\n'
    (tmp_path / "cfg").mkdir()
    config = write_config(tmp_path / "cfg", mypy=overrides if skipped else "")
    result = run_mypy(tmp_path, config=config)
    assert result.internal == []
    assert {f for f in result.findings if f[2] == "REA208"} == WANT, result.stdout


def test_the_linter_reports_the_same_calls() -> None:
    found = {("app.py", f.line, f.code) for f in check_tree(ast.parse(SOURCE), codes={"REA208"})}
    assert found == WANT
