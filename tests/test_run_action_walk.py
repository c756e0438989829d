"""A lambda passed to a rea_runtime run helper or to a saga's step is walked once, as a run action.

The builder knows `ctx.run(..., lambda: ...)` is a run call when it walks it. A helper call
(`run(ctx, "x", lambda: ...)`) or a saga's `step(..., compensate=lambda ...)` was only known
once the module's calls were resolved, so the builder indexed the lambda with its handler's
code and then indexed the whole handler again without it. Now the walk expects such a lambda to
be a run action; only a handler whose call turns out to run nothing is indexed again.
"""

from __future__ import annotations

import ast

import pytest

from benchmarks.oracle import _model_lines
from rea_lint import model as model_module
from rea_lint.config import DEFAULT
from rea_lint.engine import check_tree
from rea_lint.model import build_model
from rea_lint.names import ImportMap
from tests.test_lazy_build import SOURCES

RUNS = '''\
import time
import rea_runtime
import restate
from rea_runtime import Saga, run, run_typed

svc = restate.Service("svc")

@svc.handler()
async def by_name(ctx: restate.Context) -> float:
    return await run(ctx, "now", lambda: time.time())

@svc.handler()
async def by_module(ctx: restate.Context) -> float:
    return await rea_runtime.run_typed(ctx, "now", lambda: time.time())

@svc.handler()
async def in_a_saga(ctx: restate.Context) -> None:
    async with Saga(ctx, "trip") as saga:
        await saga.step("hold", action=lambda: time.time(), compensate=lambda ref: ctx.set("undo", ref))
'''

NOT_RUNS = '''\
import time
import restate
from rea_runtime import run

svc = restate.Service("svc")

@svc.handler()
async def shadowed(ctx: restate.Context, run) -> float:
    return await run(ctx, "now", lambda: time.time())

@svc.handler()
async def not_a_saga(ctx: restate.Context, tracker) -> None:
    await tracker.step("hold", action=lambda: time.time())
'''


def _count_reindexing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    indexed_again: list[str] = []
    own_index = model_module._own_index

    def counting(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        indexed_again.append(fn.qualname)
        return own_index(fn, *args, **kwargs)

    monkeypatch.setattr(model_module, "_own_index", counting)
    return indexed_again


def _build(text: str) -> model_module.Model:
    tree = ast.parse(text)
    return build_model(tree, DEFAULT, ImportMap.from_tree(tree))


def test_helper_and_saga_actions_are_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    indexed_again = _count_reindexing(monkeypatch)
    model = _build(RUNS)
    assert indexed_again == []
    assert [(r.call.lineno, r.function.qualname) for r in model.run_calls] == [
        (10, "by_name"), (14, "by_module"), (19, "in_a_saga"), (19, "in_a_saga"),  # action, compensation
    ]
    # the actions' code is not handler code: no clock read is reported, the context use in one is
    codes = sorted((f.line, f.code) for f in check_tree(ast.parse(RUNS)))
    assert (19, "REA201") in codes
    assert not [c for c in codes if c[1] == "REA101"], codes


def test_a_lambda_passed_to_a_call_that_runs_nothing_stays_handler_code(monkeypatch: pytest.MonkeyPatch) -> None:
    indexed_again = _count_reindexing(monkeypatch)
    model = _build(NOT_RUNS)
    assert sorted(indexed_again) == ["not_a_saga", "shadowed"]  # each call looked like one that runs its lambda
    assert model.run_calls == []
    codes = sorted((f.line, f.code) for f in check_tree(ast.parse(NOT_RUNS)))
    assert [c for c in codes if c[1] == "REA101"] == [(9, "REA101"), (13, "REA101")], codes


def test_expecting_the_actions_changes_nothing_the_model_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every module of this repository that imports rea_runtime, and the rule examples, built
    with the actions expected and without (every helper and saga lambda found late, as before)."""
    expected = 0
    for name, text in [*SOURCES, ("runs", RUNS), ("not runs", NOT_RUNS)]:
        with monkeypatch.context() as patch:
            seen: list[int] = []
            expect = model_module._Walker._expect_action

            def noting(self, call, fn, action):  # type: ignore[no-untyped-def]
                seen.append(type(action) is ast.Lambda)
                expect(self, call, fn, action)

            patch.setattr(model_module._Walker, "_expect_action", noting)
            tree = ast.parse(text)
            now = _model_lines(tree, build_model(tree, DEFAULT, ImportMap.from_tree(tree)))
        expected += any(seen)
        with monkeypatch.context() as patch:
            patch.setattr(model_module._Walker, "_expect_action", lambda self, call, fn, action: None)
            tree = ast.parse(text)
            before = _model_lines(tree, build_model(tree, DEFAULT, ImportMap.from_tree(tree)))
        assert now == before, name
    assert expected >= 10, expected  # else no module had an action to expect, and nothing is compared
