"""The catalog is the project's published truth: its own invariants, and docs/rules/ saying the same.

The catalog module (`rea_lint/catalog.py`) is the one place codes, names, severities and
messages live; `docs/rules/` and the README's table are published from it. These tests read
nothing outside the repository: a user's clone has nothing beside it.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from rea_lint.catalog import DIVERGES_ON_REPLAY, RULES, Fix, Severity, by_code, iter_rules
from tests.conftest import REPO

PAGES = REPO / "docs" / "rules"
HEADER = re.compile(r"^Severity: (error|warning) · enabled by default: (on|off)[^·]* · autofix: (none|safe|unsafe)$", re.M)


def test_codes_and_names_are_unique_and_well_formed() -> None:
    rules = list(iter_rules())
    assert len(rules) >= 21 and len(rules) == len(RULES)
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    assert codes == sorted(codes), "iter_rules() lists the catalog in code order"
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    for rule in rules:
        assert re.fullmatch(r"REA[1-9]\d{2}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name), rule.name
        assert RULES[rule.code] is rule and by_code(rule.code) is rule


def test_every_fixable_rule_says_what_its_fix_changes() -> None:
    for rule in iter_rules():
        if rule.fix is Fix.NONE:
            continue
        assert rule.fix_note, f"{rule.code} has a fix but no note saying what it changes"


def test_default_off_rules_and_warnings_are_few_and_deliberate() -> None:
    """Most rules are errors and on: a rule that is neither must be a visible choice."""
    warnings = {r.code for r in iter_rules() if r.severity is Severity.WARNING}
    off = {r.code for r in iter_rules() if not r.enabled_by_default}
    assert "REA109" in warnings and "REA206" in warnings and "REA111" in off
    assert len(warnings) < len(RULES) / 2 and len(off) < len(RULES) / 2


@pytest.mark.parametrize("rule", list(iter_rules()), ids=lambda r: r.code)
def test_the_docs_page_publishes_the_catalog_entry(rule) -> None:  # type: ignore[no-untyped-def]
    """docs/rules/ is what users read: its header states the catalog's severity, default and fix."""
    page = (PAGES / f"{rule.code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {rule.code} {rule.name}\n")
    header = HEADER.search(page)
    assert header is not None, f"{rule.code}.md has no Severity line"
    assert header.groups() == (rule.severity.value, "on" if rule.enabled_by_default else "off", rule.fix.value)
    assert rule.summary in page and rule.why in page


def test_no_page_for_a_rule_the_catalog_does_not_have() -> None:
    pages = {p.stem for p in PAGES.glob("REA[0-9]*.md")}
    assert pages == set(RULES)


@pytest.mark.parametrize("rule", list(iter_rules()), ids=lambda r: r.code)
def test_messages_lead_with_the_code_and_teach(rule) -> None:  # type: ignore[no-untyped-def]
    text = rule.render(subject="x()", ctx="ctx")
    assert text.startswith(f"{rule.code} {rule.name}: ")
    assert rule.fields <= {"subject", "ctx"}
    assert rule.fix_hint and rule.why and rule.summary
    assert rule.mypy_code == f"rea-{rule.name}"
    assert rule.doc_path == f"docs/rules/{rule.code}.md"
    assert ";" in rule.message, "a message says what is wrong, then what to do instead"


def test_transitive_rendering() -> None:
    text = RULES["REA101"].render(via="price_quote() -> _stamp() -> time.time()")
    assert text.startswith("REA101 time-in-handler: via price_quote() -> _stamp() -> time.time(): `time.time()` reads")
    assert text.count("price_quote") == 1


def test_unknown_code_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="REA101"):
        by_code("REA999")


def test_import_is_stdlib_only() -> None:
    """The catalog must stay importable anywhere; its import time is measured in benchmarks/."""
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import rea_lint.catalog\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(m for m in new if m not in sys.stdlib_module_names and m != 'rea_lint'))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"the catalog imported third-party modules: {out}"


def test_readme_rule_table_matches_the_catalog() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- rules-table:start -->")[1].split("<!-- rules-table:end -->")[0]
    rows = [line for line in table.strip().splitlines()[2:]]
    assert len(rows) == len(RULES)
    for row, rule in zip(rows, iter_rules()):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[:2] == [rule.code, rule.name]
        assert cells[3] == rule.severity.value and cells[5] == rule.fix.value
        # the "catches" cell is the summary, or its start (up to a comma, semicolon or bracket)
        short = cells[2].rstrip(".")
        assert rule.summary.startswith(short) or rule.summary.startswith(short.split(" (")[0] + " ("), (rule.code, cells[2])


def test_replay_divergent_codes_are_catalog_codes_and_exclude_the_harmless() -> None:
    # rea explain blames only these for a 570: each must exist, and the rules whose findings
    # leave the journal intact (native sleep, replayed logs, clock units) must not be among them.
    assert DIVERGES_ON_REPLAY <= set(RULES)
    assert len(DIVERGES_ON_REPLAY) == 11
    assert not {"REA105", "REA111", "REA112"} & DIVERGES_ON_REPLAY
