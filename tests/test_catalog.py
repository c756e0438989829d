"""The catalog is the contract: it must say exactly what ../shared/RULES.md says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.catalog import RULES, Fix, Severity, by_code, iter_rules
from tests.conftest import REPO

RULES_MD = REPO.parent / "shared" / "RULES.md"
ROW = re.compile(r"^\| (REA\d{3}) \| ([a-z0-9-]+) \|(.*)\| (yes|no)[^|]*\|\s*$", re.M)


@pytest.fixture(scope="module")
def contract() -> str:
    if not RULES_MD.is_file():  # CI and developers always have shared/ beside the repo
        pytest.fail(f"the rule contract is missing: {RULES_MD}")
    return RULES_MD.read_text(encoding="utf-8")


def test_same_codes_and_names_as_the_contract(contract: str) -> None:
    rows = {code: name for code, name, _mid, _fix in ROW.findall(contract)}
    assert len(rows) >= 21
    assert rows == {r.code: r.name for r in iter_rules()}


def test_fixability_matches_the_contract(contract: str) -> None:
    for code, _name, _mid, fix in ROW.findall(contract):
        assert (RULES[code].fix is not Fix.NONE) == (fix == "yes"), code


def test_severities_and_defaults_match_the_contract(contract: str) -> None:
    warnings = set(re.search(r"every rule is an error except ((?:REA\d+(?: and |, )?)+)", contract).group(1).replace(" and ", ",").replace(" ", "").split(","))
    off = set(re.findall(r"enabled by\s+default except (REA\d+)", contract))
    assert warnings == {"REA109", "REA112", "REA206", "REA207", "REA402"} and off == {"REA111"}
    for rule in iter_rules():
        assert (rule.severity is Severity.WARNING) == (rule.code in warnings), rule.code
        assert rule.enabled_by_default == (rule.code not in off), rule.code


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
