"""`Checker.cue_names` must be a true necessary condition: wherever a rule's `detect` reports
something, the code it looked at names one of its cues (transitive analysis skips helpers
that name none, so a missing cue would silently drop a finding)."""

from __future__ import annotations

import ast
from pathlib import Path

from rea_lint.config import DEFAULT
from rea_lint.model import build_model
from rea_lint.names import ImportMap
from rea_lint.rules import all_checkers

ROOT = Path(__file__).resolve().parent.parent


def _sources() -> list[str]:
    out = []
    for checker in all_checkers().values():
        out.extend(checker.valid)
        out.extend(checker.invalid)
    for folder in ("fixtures", "examples"):
        out.extend(p.read_text(encoding="utf-8") for p in sorted((ROOT / folder).rglob("*.py")))
    return out


def test_every_detection_names_a_cue() -> None:
    checkers = [c for c in all_checkers().values() if c.cue_names(build_model(ast.parse("import restate\n"))) is not None]
    assert {c.code for c in checkers} >= {"REA101", "REA102", "REA103", "REA105", "REA108", "REA109", "REA110"}
    detections = 0
    for source in _sources():
        tree = ast.parse(source)
        model = build_model(tree, DEFAULT, ImportMap.from_tree(tree))
        for checker in checkers:
            cues = checker.cue_names(model)
            assert cues is not None
            for nodes in (model.handler_nodes, model.plain_nodes):
                found = list(checker.detect(model, nodes))
                if not found:
                    continue
                detections += len(found)
                names = {n.id for n, _fn in nodes(ast.Name)}
                attrs = {a.attr for a, _fn in nodes(ast.Attribute)}
                assert not cues.isdisjoint(names) or not checker.cue_methods.isdisjoint(attrs), (
                    checker.code, source[:200], found)
    assert detections >= 150, detections  # (188 when written)


def test_a_helper_naming_no_cue_is_left_out_and_one_that_does_is_reported() -> None:
    from rea_lint.engine import check_tree

    head = "import restate, time\nsvc = restate.Service('s')\n"
    clean = head + "def helper(x):\n    return x + 1\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return helper(1)\n"
    dirty = head + "def helper(x):\n    return time.time()\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return helper(1)\n"
    client = ("import restate, httpx\nsvc = restate.Service('s')\nHTTP = httpx.Client()\n"
              "def fetch(u):\n    return HTTP.get(u)\n@svc.handler()\nasync def h(ctx: restate.Context):\n    return fetch('x')\n")
    assert [f.code for f in check_tree(ast.parse(clean))] == []
    assert [f.code for f in check_tree(ast.parse(dirty))] == ["REA101"]
    assert [f.code for f in check_tree(ast.parse(client))] == ["REA108"]
