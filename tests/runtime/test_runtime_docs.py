"""The runtime's doc pages describe what exists: every public name (each module's `__all__`) is
named on one of them, and every `rea_runtime.…` name or `from rea_runtime… import …` they show
imports."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from ._docnames import resolve

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["runtime.md", "sagas.md", "configuration.md", "circuit-breaker.md"]
TEXT = "\n".join((DOCS / p).read_text(encoding="utf-8") for p in PAGES)
PUBLIC = ["rea_runtime", "rea_runtime.policy", "rea_runtime.state", "rea_runtime.serde", "rea_runtime.run",
          "rea_runtime.deterministic", "rea_runtime.services", "rea_runtime.validation", "rea_runtime.presets",
          "rea_runtime.events", "rea_runtime.observability", "rea_runtime.security", "rea_runtime.ingress",
          "rea_runtime.breaker", "rea_runtime.saga", "rea_runtime.workflow", "rea_runtime.concurrency",
          "rea_runtime.testing"]
DOTTED = sorted(set(re.findall(r"\b(rea_runtime(?:\.\w+)+)", TEXT)))
IMPORTS = sorted({(m, n.split(" as ")[0].strip())
                  for m, names in re.findall(r"from (rea_runtime[\w.]*) import ([\w, ]+)", TEXT)
                  for n in names.split(",") if n.strip()})


@pytest.mark.parametrize("module", PUBLIC)
def test_every_public_name_is_documented(module):
    names = importlib.import_module(module).__all__
    missing = [n for n in names if not re.search(rf"\b{re.escape(n)}\b", TEXT)]
    assert not missing, f"{module}: {missing} on none of {PAGES}"


def test_every_documented_name_exists():
    assert len(DOTTED) >= 25 and len(IMPORTS) >= 20, (len(DOTTED), len(IMPORTS))  # the pages were read
    for dotted in DOTTED:
        resolve(dotted)
    for module, name in IMPORTS:
        getattr(importlib.import_module(module), name)


def test_every_test_named_in_the_proof_table_exists():
    """docs/runtime-proof.md names `file.py::test_x` (and further `test_y` of the same file)."""
    here = Path(__file__).resolve().parent
    checked = 0
    for line in (DOCS / "runtime-proof.md").read_text(encoding="utf-8").splitlines():
        current = None
        for token in re.findall(r"`([\w./]+\.py(?:::\w+)?(?:\[[^\]]*\])?|test_\w+)`", line):
            if ".py" in token:
                file, _, test = token.partition("::")
                path = here / file if not file.startswith("benchmarks/") else here.parents[1] / file
                assert path.exists(), token
                current = path.read_text(encoding="utf-8")
                names = [test.split("[")[0]] if test else []
            else:
                names = [token]
            for name in names:
                assert current is not None and re.search(rf"def {name}\(", current), f"{name} not found ({line[:60]})"
                checked += 1
    assert checked >= 50, checked
