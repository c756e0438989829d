"""`--format sarif` validates against the vendored SARIF 2.1.0 schema and carries the catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from rea_lint.catalog import RULES
from rea_lint.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "resources" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture
def sarif(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    (tmp_path / "fixtures" / "broken.py").write_text("import restate\ndef f(:\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "--format", "sarif", "fixtures"]) == 1
    return json.loads(capsys.readouterr().out)


def test_validates_against_the_schema(sarif):
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_rules_metadata_from_the_catalog(sarif):
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "rea"
    rules = {r["id"]: r for r in driver["rules"]}
    assert list(rules) == list(RULES)
    r = rules["REA101"]
    assert r["name"] == "time-in-handler"
    assert r["shortDescription"]["text"] == RULES["REA101"].summary
    assert r["fullDescription"]["text"] == RULES["REA101"].why
    assert r["help"]["markdown"].startswith("# REA101 time-in-handler")
    assert rules["REA109"]["defaultConfiguration"]["level"] == "warning"
    assert rules["REA111"]["defaultConfiguration"]["enabled"] is False


def test_results_locations_fixes_and_notifications(sarif):
    run = sarif["runs"][0]
    results = run["results"]
    assert results and all(r["ruleId"] == run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] for r in results)
    first = results[0]
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].startswith("fixtures/")
    assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
    fixed = [r for r in results if "fixes" in r]
    assert fixed, "fixable findings carry fixes"
    by_rule = {r["ruleId"]: r for r in fixed}
    rep = by_rule["REA103"]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert rep["insertedContent"]["text"] == "ctx.uuid()"
    assert "unsafe fix" in by_rule["REA101"]["fixes"][0]["description"]["text"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1 and "syntax error" in notes[0]["message"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is False


def test_a_deliberately_broken_log_fails_validation(sarif):
    """The schema really constrains: the validator is not vacuous."""
    sarif["runs"][0]["results"][0]["level"] = "fatal"
    validator = jsonschema.Draft4Validator(SCHEMA)
    assert list(validator.iter_errors(sarif))
