"""The engine skips a rule whose `Checker.needs` is empty in the model: that must never hide a finding."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

import pytest

from rea_lint.engine import analyse
from rea_lint.findings import Finding
from rea_lint.model import Model
from rea_lint.rules import all_checkers
from rea_lint.rules.base import Checker

ROOT = Path(__file__).resolve().parent.parent

NO_HANDLER_CODE = (
    "import restate\napp = restate.app([])\n",
    "import restate, time, random, uuid\ndef stamp():\n    return time.time(), random.random(), uuid.uuid4()\n",
    "import restate\nasync def helper(ctx):\n    for k in {'a', 'b'}:\n        ctx.clear(k)\n    ctx.sleep(1)\n",
    "import restate\nimport rea_runtime\nasync def helper(ctx: restate.Context):\n    await rea_runtime.run(ctx, 'x', lambda: ctx.get('k'))\n",
    "import restate\nfrom rea_runtime import run\ndef helper(c, items):\n    for i in items:\n        run(c, 'step', lambda: i)\n",
    "import restate\nimport os\nclient = restate.Client()\nclass Helper:\n    def go(self):\n        global X\n        X = os.environ['A']\n",
)


def _sources() -> Iterator[tuple[str, str]]:
    for code, checker in all_checkers().items():
        for kind, examples in (("invalid", checker.invalid), ("valid", checker.valid)):
            for i, src in enumerate(examples):
                yield f"{code}-{kind}-{i}", src
    for i, src in enumerate(NO_HANDLER_CODE):
        yield f"no-handler-code-{i}", src
    for folder in ("fixtures", "examples"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def _findings(source: str) -> tuple[list[tuple[object, ...]], Model | None]:
    found, model = analyse(ast.parse(source), transitive=True)
    return [_key(f) for f in found], model


def _key(f: Finding) -> tuple[object, ...]:
    return (f.line, f.col, f.code, f.message, f.end_line, f.end_col)


def test_the_gate_never_hides_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = list(_sources())
    gated = [_findings(src) for _name, src in sources]
    skipped = sum(
        1 for _found, model in gated
        if model is not None and any(c.needs is not None and not getattr(model, c.needs) for c in all_checkers().values())
    )
    for checker in all_checkers().values():
        monkeypatch.setattr(checker, "needs", None)  # every rule runs on every module
    for (name, src), (found, _model) in zip(sources, gated):
        assert found == _findings(src)[0], f"the gate changed the findings of {name}"
    assert skipped >= len(NO_HANDLER_CODE)  # the gate did skip rules (not a vacuous comparison)


def test_a_rule_with_its_own_check_runs_always_unless_it_states_its_need() -> None:
    class Own(Checker):
        def check(self, model: Model) -> Iterator[Finding]:
            return iter(())

    class Stated(Own):
        needs = "functions"

    class Inherits(Stated):
        pass

    assert Checker.needs == "handler_code"  # the base `check` reads handler code only
    assert (Own.needs, Stated.needs, Inherits.needs) == (None, "functions", "functions")
    for checker in all_checkers().values():
        assert checker.needs in (None, "handler_code", "functions")
