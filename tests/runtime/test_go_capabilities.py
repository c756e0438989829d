"""docs/go-capabilities.md names only what exists: every `rea_runtime.…` / `restate.…` name in its
Python column imports (with the keywords it shows in parentheses), every REAxxx is in the
catalog, and every row either names something or says `none` and why."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from rea_lint.catalog import RULES

from ._docnames import resolve as _resolve

DOC = Path(__file__).resolve().parents[2] / "docs" / "go-capabilities.md"
NAME = re.compile(r"`((?:rea_runtime|restate)(?:\.\w+)+)(?:\(([^)]*)\))?`")
CODE = re.compile(r"\bREA\d{3}\b")


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and line.startswith("|") and cells[0] not in ("Go", "---"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _accepts(obj: Any, keyword: str) -> bool:
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = inspect.signature(target).parameters
    return keyword in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


ROWS = _rows()


def test_the_table_has_a_row_per_capability_and_each_names_something_or_says_why_not():
    assert len(ROWS) == 269, len(ROWS)  # one row per Go identifier/option (and README capability)
    go_names = [r[0] for r in ROWS]
    assert len(go_names) == len(set(go_names)), "a Go capability is listed twice"
    for go, python, notes in ROWS:
        if python == "none":
            assert notes, f"{go}: `none` needs the reason in Notes"
        else:
            assert NAME.search(python) or CODE.search(python), f"{go}: no checkable Python name in {python!r}"


NAMED = [(r[0], r[1]) for r in ROWS if r[1] != "none"]


@pytest.mark.parametrize("go,python", NAMED, ids=[go for go, _ in NAMED])
def test_every_python_name_exists(go, python):
    names = NAME.findall(python)
    for dotted, args in names:
        obj = _resolve(dotted)
        for keyword in re.findall(r"(\w+)=", args):
            assert _accepts(obj, keyword), f"{go}: {dotted} takes no {keyword}="
    for code in CODE.findall(python):
        assert code in RULES, f"{go}: {code} is not in the catalog"
