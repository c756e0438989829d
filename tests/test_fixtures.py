"""Every fixture through flake8, in-process and as a subprocess: every expected diagnostic, no other."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from flake8.main.application import Application

from rea_lint.catalog import RULES
from tests.conftest import FIXTURES
from tests.expectations import MARKER, expected, expected_dir

FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"
FIXTURE_FILES = sorted(FIXTURES.glob("*.py"))


def _parse(output: str, root: Path) -> list[tuple[str, int, int, str]]:
    rows = []
    for line in output.splitlines():
        path, row, col, code = line.rsplit("|", 3)
        rows.append((str(Path(path).resolve().relative_to(root.resolve())), int(row), int(col), code))
    return rows


def _counts(rows: list[tuple[str, int, int, str]]) -> Counter[tuple[str, int, str]]:
    return Counter((p, line, code) for p, line, _col, code in rows)


def flake8_in_process(paths: list[Path], tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "flake8.out"
    app = Application()
    app.run(["--select", "REA", "--format", FORMAT, "--output-file", str(out), *extra, *map(str, paths)])
    return out.read_text() if out.exists() else ""


def flake8_subprocess(paths: list[Path], *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "REA", "--format", FORMAT, *extra, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_every_rule_has_a_fixture() -> None:
    names = {p.stem for p in FIXTURE_FILES}
    from rea_lint.rules import all_checkers

    for code in all_checkers():
        rule = RULES[code]
        assert f"{code.lower()}_{rule.name.replace('-', '_')}" in names, f"no fixture for {code}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_in_process(path: Path, tmp_path: Path) -> None:
    want = expected(path, FIXTURES)
    assert want, f"{path.name} has no `# expect:` markers"
    got = _counts(_parse(flake8_in_process([path], tmp_path), FIXTURES))
    assert got == want, f"missing: {dict(want - got)}; unexpected: {dict(got - want)}"


def test_fixtures_subprocess_whole_directory() -> None:
    """The README's demo command, as a user runs it: one flake8 over fixtures/ (with -j)."""
    proc = flake8_subprocess([FIXTURES])
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    got = _counts(_parse(proc.stdout, FIXTURES))
    want = expected_dir(FIXTURES)
    assert sum(want.values()) >= 50  # the sweep really covers the fixtures
    assert got == want, f"missing: {dict(want - got)}; unexpected: {dict(got - want)}"


def test_noqa_silences_every_expected_diagnostic(tmp_path: Path) -> None:
    copied = 0
    for path in FIXTURE_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        out = []
        for line in lines:
            m = MARKER.search(line)
            if m:
                codes = ",".join(c.strip() for c in m.group(1).split(","))
                line = f"{line}  # noqa: {codes}"
                copied += 1
            out.append(line)
        (tmp_path / path.name).write_text("\n".join(out) + "\n", encoding="utf-8")
    assert copied >= 50
    proc = flake8_subprocess([tmp_path])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_noqa_for_another_code_does_not_silence(tmp_path: Path) -> None:
    src = FIXTURES / "rea101_time_in_handler.py"
    text = src.read_text(encoding="utf-8").replace("# expect: REA101", "# expect: REA101  # noqa: REA999")
    (tmp_path / src.name).write_text(text, encoding="utf-8")
    got = _counts(_parse(flake8_subprocess([tmp_path]).stdout, tmp_path))
    assert sum(got.values()) == sum(expected(src, FIXTURES).values())


# Positions: the rule specification says where each diagnostic points. Checked on every fixture finding.
_CALL = re.compile(r"[A-Za-z_][\w.]*\(")
_POSITION_CHECKS = {
    "REA101": lambda text: _CALL.match(text) is not None,
    "REA102": lambda text: _CALL.match(text) is not None,
    "REA103": lambda text: _CALL.match(text) is not None,
    "REA202": lambda text: re.match(r"\w+\.(set|clear|clear_all)\(", text) is not None,
    "REA201": lambda text: re.match(r"\w+\b", text) is not None,
    "REA301": lambda text: text.startswith("idempotency_key="),
    "REA302": lambda text: text.startswith("idempotency_key="),
    # the rules of revision 3
    "REA112": lambda text: re.match(r"\w+\.time\(\)", text) is not None,
    "REA207": lambda text: text.startswith(("await ", "async for ")),
    "REA208": lambda text: _CALL.match(text) is not None,
    "REA209": lambda text: text.startswith(("lambda", "def ", "async def ")),
    "REA210": lambda text: re.match(r"\w+\.(service|object|workflow|generic)_(call|send)\(", text) is not None,
    "REA402": lambda text: text.startswith(("raise ", "assert ")),
}


def test_positions_point_at_the_offending_expression(tmp_path: Path) -> None:
    rows = _parse(flake8_subprocess([FIXTURES]).stdout, FIXTURES)
    checked = 0
    by_code: Counter[str] = Counter()
    for name, row, col, code in rows:
        check = _POSITION_CHECKS.get(code)
        if check is None:
            continue
        text = (FIXTURES / name).read_text(encoding="utf-8").splitlines()[row - 1][col - 1 :]
        assert check(text), f"{name}:{row}:{col} {code} points at {text[:40]!r}"
        checked += 1
        by_code[code] += 1
    assert checked >= 50
    for code in ("REA112", "REA207", "REA208", "REA209", "REA210", "REA402"):
        assert by_code[code] >= 3, f"{code}: only {by_code[code]} positions checked"


def test_rea201_points_at_each_use_of_the_context() -> None:
    """Two uses on one line are two diagnostics, each at its own `ctx`."""
    rows = _parse(flake8_subprocess([FIXTURES / "rea201_context_in_run.py"]).stdout, FIXTURES)
    line = next(i for i, l in enumerate((FIXTURES / "rea201_context_in_run.py").read_text().splitlines(), 1) if "REA201, REA201" in l)
    cols = sorted(col for _n, row, col, _c in rows if row == line)
    text = (FIXTURES / "rea201_context_in_run.py").read_text().splitlines()[line - 1]
    assert [text[c - 1 : c + 2] for c in cols] == ["ctx", "ctx"]
    assert len(set(cols)) == 2


def test_flake8_uses_its_own_tree_no_second_parse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """rea analyses the tree flake8 hands it: ast.parse is called once per file, by flake8."""
    calls = Counter()
    real_parse = ast.parse

    def counting_parse(source, *a, **kw):  # type: ignore[no-untyped-def]
        calls[kw.get("mode", a[1] if len(a) > 1 else "exec")] += 1
        return real_parse(source, *a, **kw)

    monkeypatch.setattr(ast, "parse", counting_parse)
    target = tmp_path / "one.py"
    shutil.copy(FIXTURES / "rea202_state_write_in_shared_handler.py", target)
    out = flake8_in_process([target], tmp_path, "-j", "1")
    assert out.count("REA202") == target.read_text().count("expect: REA202") == 6
    assert calls["exec"] <= 1
