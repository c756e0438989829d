"""Tests generated from each rule's own valid/invalid examples (the Fixit model)."""

from __future__ import annotations

import ast

import pytest

from rea_lint.engine import check_tree
from rea_lint.rules import all_checkers

CASES = [
    (code, kind, i, src)
    for code, checker in all_checkers().items()
    for kind, examples in (("invalid", checker.invalid), ("valid", checker.valid))
    for i, src in enumerate(examples)
]


def test_every_rule_has_examples_both_ways() -> None:
    for code, checker in all_checkers().items():
        assert checker.invalid, f"{code} has no invalid example"
        assert checker.valid, f"{code} has no valid example"
    assert len(CASES) >= 2 * len(all_checkers())


@pytest.mark.parametrize(("code", "kind", "index", "source"), CASES, ids=[f"{c}-{k}-{i}" for c, k, i, _ in CASES])
def test_example(code: str, kind: str, index: int, source: str) -> None:
    found = [f.code for f in check_tree(ast.parse(source), codes=[code])]
    if kind == "invalid":
        assert code in found, f"{code} did not fire on:\n{source}"
    else:
        assert found == [], f"{code} fired on a valid example:\n{source}"
