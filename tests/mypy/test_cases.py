"""Every `# expect:` marker in tests/mypy/cases is reported, and nothing else is."""

from __future__ import annotations

import ast
import re

import pytest

from mypy_plugin.codes import CODES, IMPLEMENTED
from rea_lint.catalog import RULES
from tests.mypy.conftest import CASES
from tests.mypy.harness import MypyResult, expected, run_mypy


def test_every_expected_finding_and_no_other(cases_result: MypyResult) -> None:
    want = expected(CASES)
    got = {f for f in cases_result.findings if f[2] in IMPLEMENTED}
    assert sorted(want - got) == [], "missing"
    assert sorted(got - want) == [], "unexpected"
    assert cases_result.internal == []


@pytest.mark.parametrize("code", sorted(IMPLEMENTED))
def test_each_rule_has_a_positive_case(code: str) -> None:
    assert any(f[2] == code for f in expected(CASES)), f"no case for {code}"


def test_messages_come_from_the_catalog(cases_result: MypyResult) -> None:
    seen = set()
    for line in cases_result.stdout.splitlines():
        m = re.search(r": error: (REA\d{3}) ([a-z-]+): .*  \[([\w-]+)\]$", line)
        if not m:
            continue
        code, name, mypy_code = m.groups()
        seen.add(code)
        assert name == RULES[code].name
        assert mypy_code == RULES[code].mypy_code == CODES[code].code
    assert seen == set(IMPLEMENTED)


def test_one_error_per_call(cases_result: MypyResult) -> None:
    """Overloaded and generic calls are checked several times; each finding prints once."""
    lines = [l for l in cases_result.stdout.splitlines() if ": error: REA" in l]
    assert len(lines) == len(set(lines))
    run_typed = [l for l in lines if "rea201_context_in_run.py:17:" in l]
    assert len(run_typed) == 1


def test_types_only_cases(cases_result: MypyResult) -> None:
    """What the syntax alone cannot tell: re-exported clocks, contexts and services across modules."""
    got = cases_result.findings
    assert ("rea101_time.py", 22, "REA101") in got  # `from clock_util import now`; now = datetime.now
    assert ("rea101_time.py", 23, "REA101") in got  # clock_util.now()
    assert ("rea202_shared_write.py", 24, "REA202") in got  # service object defined in clock_util
    assert ("rea202_shared_write.py", 12, "REA203") in got  # decorated through an alias
    assert ("clock_util.py", 17, "REA202") in got  # plain helper typed ObjectSharedContext
    assert ("rea106_asyncio.py", 17, "REA106") in got  # Restate future to asyncio outside a handler


def test_check_untyped_defs_reports_the_same(cases_result: MypyResult) -> None:
    """With `check_untyped_defs` mypy's hooks see unannotated bodies too; nothing doubles or goes."""
    result = run_mypy(CASES, extra=["--check-untyped-defs"])
    assert result.internal == []
    lines = [l for l in result.stdout.splitlines() if ": error: REA" in l]
    assert len(lines) == len(set(lines))
    assert {f for f in result.findings if f[2] in IMPLEMENTED} == {f for f in cases_result.findings if f[2] in IMPLEMENTED}


def test_handler_kind_messages_read_as_the_linters(cases_result: MypyResult) -> None:
    """REA210 names the service as the linter does (its literal name, through an alias of the
    service object too), so a finding reads the same in `rea check` and in mypy."""
    from rea_lint.engine import check_tree

    path = CASES / "rea210_kinds.py"
    source = path.read_text(encoding="utf-8")
    linter = {f.line: f.message for f in check_tree(ast.parse(source), codes={"REA210"})}
    plugin = {}
    for line in cases_result.stdout.splitlines():
        m = re.match(r".*rea210_kinds\.py:(\d+): error: (REA210 .*?)  \[[\w-]+\]$", line)
        if m:
            plugin[int(m.group(1))] = m.group(2)
    assert len(plugin) == 3 and plugin.keys() == linter.keys()
    for line, message in plugin.items():
        assert message == linter[line], line
    assert "a handler of VirtualObject `kind_carts`" in plugin[23]  # decorated through `Carts = carts`
