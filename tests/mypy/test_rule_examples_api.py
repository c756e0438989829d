"""The rules' examples (`invalid`/`valid` of each rule class, shown on its docs page) call
only what restate-sdk's contexts have: a page that teaches `ctx.get(...)` on a Service's
`Context` would teach code mypy rejects. mypy over every example, with the plugin, names the
context methods an example calls that its context type does not have; the only ones allowed
are those a rule is about."""

from __future__ import annotations

import re
from pathlib import Path

from rea_lint.rules import all_checkers
from tests.mypy.harness import run_mypy

_MISSING = re.compile(r'^(?P<file>[^:]+):\d+: error: "(?P<type>\w*Context)" has no attribute "(?P<attr>\w+)"')
INTENDED = {
    ("rea202_invalid_0.py", "ObjectSharedContext", "set"),  # a shared handler's write: REA202 itself
    ("rea202_invalid_2.py", "ObjectSharedContext", "clear"),
    ("rea207_invalid_2.py", "ObjectContext", "promise"),  # the rule specification lists a promise awaited there
}


def test_examples_call_only_what_their_context_has(tmp_path: Path) -> None:
    written = 0
    for code, checker in all_checkers().items():
        for kind in ("invalid", "valid"):
            for i, source in enumerate(getattr(checker, kind, ())):
                (tmp_path / f"{code.lower()}_{kind}_{i}.py").write_text(source, encoding="utf-8")
                written += 1
    assert written >= 190  # the sweep: every rule's examples
    result = run_mypy(tmp_path)
    missing = {(Path(m["file"]).name, m["type"], m["attr"]) for m in map(_MISSING.match, result.stdout.splitlines()) if m}
    assert missing == INTENDED, result.stdout
