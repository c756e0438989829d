"""`rea check` analyses its files with Python's cyclic collector off (`engine.tree_mode`), between
files too: that is only sound while analysing a file leaves no reference cycle behind, or a long
run would keep every cycle it made. This holds the analysis to it, on every kind of file a run
meets: Restate modules with findings, helper chains the link follows, files that do not parse,
and files too deeply nested to walk. (Runs that fix or compute edits use libcst, whose helpers
leave a few cycles a file: those keep the collector between files, `runner._between_files`.)"""

from __future__ import annotations

from pathlib import Path

from benchmarks.corpus import generate
from rea_lint.config import ReaConfig
from rea_lint.runner import Options, check_files
from tests.conftest import FIXTURES, REPO, cyclic_garbage


def _garbage_after(items: list[tuple[Path, ReaConfig]], options: Options) -> tuple[list[str], list[str]]:
    def check() -> tuple[int, list[str]]:
        results = check_files(items, options)
        return sum(len(r.diagnostics) for r in results), [r.error for r in results if r.error]

    (findings, errors), garbage = cyclic_garbage(check)
    assert findings > 0
    return garbage, errors


def test_checking_files_leaves_no_reference_cycle(tmp_path: Path) -> None:
    corpus = generate(tmp_path / "gen", count=60, chains=True)
    files = [*corpus.files, *sorted(FIXTURES.glob("*.py")), *sorted((REPO / "examples").rglob("*.py"))]
    (tmp_path / "broken.py").write_text("import restate\ndef f(:\n")
    (tmp_path / "deep.py").write_text("import restate\nx = " + "(" * 400 + "1" + ")" * 400 + "\n")
    files += [tmp_path / "broken.py", tmp_path / "deep.py"]
    config = ReaConfig()
    garbage, errors = _garbage_after([(f, config) for f in files], Options(cache_dir=None))
    assert len(files) > 90, len(files)
    assert any("syntax error" in e for e in errors) and any("nest" in e or "parse" in e for e in errors), errors
    assert len(garbage) == 0, garbage
