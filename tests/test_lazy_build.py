"""A module that imports rea_runtime: the builder, given the source, leaves unwalked the plain
helpers whose text spells no run helper, and the model answers every query as before.

Where rea_runtime is imported, any helper could call `run(ctx, ...)` or a `Saga`'s methods, so
the builder used to walk them all. Given the text (the flake8 path), it walks only those whose
text spells a run helper's name or a run method; the others are walked when first asked about.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from benchmarks.oracle import _model_lines
from rea_lint.config import DEFAULT
from rea_lint.engine import check_tree
from rea_lint.model import _imports_rea_runtime, build_model
from rea_lint.names import ImportMap
from rea_lint.rules import all_checkers

ROOT = Path(__file__).resolve().parent.parent


def _sources() -> list[tuple[str, str]]:
    """(name, text) of every module of this repository and rule example that imports rea_runtime."""
    found = []
    for base in ("fixtures", "examples", "tests/runtime", "tests/replay"):
        for path in sorted((ROOT / base).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "rea_runtime" in text:
                found.append((str(path.relative_to(ROOT)), text))
    for code, checker in sorted(all_checkers().items()):
        for i, snippet in enumerate((*checker.valid, *checker.invalid)):
            if "rea_runtime" in snippet:
                found.append((f"{code} example {i}", snippet))
    return found


SOURCES = _sources()


def _built(text: str, with_text: bool):
    tree = ast.parse(text)
    imports = ImportMap.from_tree(tree)
    if with_text:
        return tree, build_model(tree, DEFAULT, imports, text.splitlines(True), text)
    return tree, build_model(tree, DEFAULT, imports)


def test_the_sweep_covers_modules_and_leaves_helpers_unwalked() -> None:
    modules = unwalked = 0
    for _name, text in SOURCES:
        tree, model = _built(text, True)
        if not _imports_rea_runtime(model.imports):
            continue
        modules += 1
        unwalked += sum(1 for fn in model.functions if fn._own is None)
    assert modules >= 40, modules
    assert unwalked >= 50, unwalked  # else the text never lets a helper go, and nothing is tested


@pytest.mark.parametrize("name,text", SOURCES, ids=[n for n, _ in SOURCES])
def test_model_answers_as_the_eager_build(name: str, text: str) -> None:
    tree_lazy, lazy = _built(text, True)
    tree_eager, eager = _built(text, False)
    assert _model_lines(tree_lazy, lazy) == _model_lines(tree_eager, eager)


@pytest.mark.parametrize("name,text", SOURCES, ids=[n for n, _ in SOURCES])
def test_flake8_findings_as_the_eager_build(name: str, text: str) -> None:
    lines = text.splitlines(True)
    with_text = check_tree(ast.parse(text), lines=lines, text=text)
    without = check_tree(ast.parse(text))
    assert [(f.line, f.col, f.code, f.message) for f in with_text] == [
        (f.line, f.col, f.code, f.message) for f in without
    ]


HELPERS = '''\
import rea_runtime
from rea_runtime import Saga, run as durable
import restate

def by_alias(ctx, key):
    return durable(ctx, "fetch", lambda: key)

def by_module(ctx):
    return rea_runtime.run(ctx, "x", lambda: 1)

class Booking:
    def __init__(self, saga: Saga) -> None:
        self.saga = saga

    async def reserve(self, saga: Saga) -> None:
        await saga.step("hold", lambda: 1, compensate=lambda: 2)

def pure(items):
    return sorted(set(items))

svc = restate.Service("svc")

@svc.handler()
async def handle(ctx: restate.Context, key: str) -> str:
    return pure([key])[0]
'''


def test_a_helper_that_spells_a_run_helper_is_walked_and_one_that_does_not_is_not() -> None:
    _tree, model = _built(HELPERS, True)
    walked = {fn.qualname: fn._own is not None for fn in model.functions}
    assert walked == {
        "by_alias": True, "by_module": True, "Booking.__init__": False, "Booking.reserve": True,
        "pure": False, "handle": True,
    }
    _tree, eager = _built(HELPERS, False)
    assert [(r.call.lineno, r.function.qualname) for r in model.run_calls] == [
        (r.call.lineno, r.function.qualname) for r in eager.run_calls
    ] == [(6, "by_alias"), (9, "by_module"), (16, "Booking.reserve"), (16, "Booking.reserve")]  # action, compensation


def test_text_that_cannot_be_trusted_walks_every_helper() -> None:
    """A form feed may number the lines unlike the tree: the builder walks as without text."""
    text = HELPERS.replace("def pure(items):", "def pure(items):  # \x0c")
    _tree, model = _built(text, True)
    assert all(fn._own is not None for fn in model.functions)
    assert model.spelled is None
