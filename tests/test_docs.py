"""Every catalog rule has a docs page, generated from the catalog and its checker's examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rea_lint import docs
from rea_lint.catalog import RULES, Fix
from rea_lint.cli import build_parser
from rea_lint.rules import all_checkers

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "rules"


def test_no_page_is_missing_or_stale():
    problems = docs.stale_pages(PAGES)
    assert not problems, "\n".join(problems) + "\nrun `python -m rea_lint.docs` to regenerate docs/rules/"


@pytest.mark.parametrize("code", list(RULES))
def test_page_has_every_section(code):
    rule = RULES[code]
    page = (PAGES / f"{code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {code} {rule.name}\n")
    for heading in ("## What it does", "## Why it is bad under replay", "## Example", "## Use instead", "## Options", "## Fix"):
        assert heading in page
    assert rule.why in page and rule.summary in page
    if rule.fix is not Fix.NONE:
        assert rule.fix_note in page
    checker = all_checkers().get(code)
    if checker is not None:
        for snippet in (*checker.invalid, *checker.valid):
            assert snippet.rstrip() in page


def test_check_mode_reports_a_missing_page(tmp_path):
    docs.write_pages(tmp_path)
    assert docs.stale_pages(tmp_path) == []
    (tmp_path / "REA101.md").unlink()
    (tmp_path / "REA102.md").write_text("old\n")
    (tmp_path / "REA999.md").write_text("gone\n")
    problems = docs.stale_pages(tmp_path)
    assert [p.split(": ")[1] for p in problems] == ["missing", "stale", "no such rule in the catalog"]
    assert docs.main(["--check", "--dir", str(tmp_path)]) == 1
    assert docs.main(["--dir", str(tmp_path)]) == 0
    (tmp_path / "REA999.md").unlink()
    assert docs.main(["--check", "--dir", str(tmp_path)]) == 0


def test_cli_page_documents_every_option():
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    check = build_parser()._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    for action in check._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert f"`{flag}" in page, f"docs/cli.md does not document {flag}"
    for code, rule in RULES.items():
        if rule.fix is not Fix.NONE:
            assert re.search(rf"\| {code} \|", page), f"docs/cli.md's fix table misses {code}"


def test_readme_states_the_agreement_table_as_generated():
    """The README's count of change pairs and invocations is the generated table's
    (tests/replay/test_agreement.py writes it into docs/replay-compatibility.md)."""
    table = re.search(r"^(\d+) change pairs, (\d+) invocations:", (ROOT / "docs" / "replay-compatibility.md").read_text(), re.M)
    readme = re.search(r"(\d+) change pairs\s+\((\d+) in-flight invocations\)", (ROOT / "README.md").read_text())
    assert table is not None and readme is not None
    assert readme.groups() == table.groups()


def test_no_file_holds_a_merge_conflict():
    """A `<<<<<<<`/`>>>>>>>` line left by a merge (docs/runtime.md carried one for a while),
    in any text file the repository tracks."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    checked, found = 0, []
    for name in filter(None, tracked):
        path = ROOT / name
        if path.suffix in (".md", ".py", ".toml", ".txt", ".yaml", ".yml", ".cfg", ".ini") or path.name == "Makefile":
            checked += _conflicts(path, found)
    assert checked > 300  # the docs, the code, the tests and the fixtures were all read
    assert found == []


def _conflicts(path: Path, found: list[str]) -> int:
    """Add ``path``'s conflict lines to ``found``; 1 (one file read)."""
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "<<<<<<<":
            found.append(f"{path.relative_to(ROOT)}:{number}")
    return 1
