"""Which module-level functions give no callable (REA208 across modules) is decided only
when the link asks, from the file's text read again: the answers must be those of the eager
analysis, from a fresh summary and from a cached one, and nothing from a text rea did not see."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from rea_lint import project as project_module
from rea_lint import runner
from rea_lint.cli import main
from rea_lint.config import DEFAULT
from rea_lint.model import build_model
from rea_lint.names import ImportMap
from rea_lint.project import (
    ModuleSummary,
    Project,
    find_non_callables,
    module_name,
    package_of,
    summary_data,
    text_digest,
)

ROOT = Path(__file__).resolve().parent.parent

TASKS = """\
import requests

async def trigger_task(name):
    requests.post("https://jobs.example.com", json=name)

def sync_task(name):
    requests.post("https://jobs.example.com", json=name)
    return {"ok": True}

def make(name):
    def action():
        return name
    return action

def rows(name):
    yield name
"""
JOBS = """\
import restate
from shop.tasks import trigger_task, sync_task, make, rows
from shop import tasks
svc = restate.Service("jobs")

@svc.handler()
async def start(ctx: restate.Context, name: str):
    await ctx.run("a", trigger_task(name))
    await ctx.run("b", sync_task(name))
    await ctx.run("c", make(name))
    await ctx.run("d", tasks.trigger_task(name))
    await ctx.run("e", rows(name))
"""
WANT = [(8, "REA208"), (9, "REA108"), (9, "REA208"), (11, "REA208"), (12, "REA208")]
"""A coroutine, data, a generator: REA208; a factory's callable: nothing; the sync
callee's I/O runs in handler code (REA108)."""


def _shop(tmp_path: Path) -> Path:
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("")
    (shop / "tasks.py").write_text(TASKS)
    (shop / "jobs.py").write_text(JOBS)
    return shop


def _model(path: Path) -> tuple[Any, str, str]:
    source = path.read_text(encoding="utf-8")
    module = module_name(path)
    tree = ast.parse(source)
    return build_model(tree, DEFAULT, ImportMap.from_tree(tree, package_of(module, path))), module, source


class _Spy:
    """`project._tree_of`, counting the files it reads again."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = project_module._tree_of

        def spy(summary: ModuleSummary) -> Any:
            self.paths.append(Path(summary.path).name)
            return real(summary)

        monkeypatch.setattr(project_module, "_tree_of", spy)


def _findings(capsys: pytest.CaptureFixture[str], *argv: str) -> list[tuple[str, int, str]]:
    capsys.readouterr()
    main(["check", "--format", "json", "--select", "REA108,REA208", *argv])
    doc = json.loads(capsys.readouterr().out)
    return sorted((Path(f["path"]).name, f["line"], f["code"]) for f in doc["findings"])


def test_every_undecided_function_gets_the_eager_answer() -> None:
    """Over the fixtures and examples, each module-level function's lazy answer (in the
    table, and whether `async`) is the eager one, and only a module asked about is read."""
    files = sorted([*ROOT.joinpath("fixtures").rglob("*.py"), *ROOT.joinpath("examples").rglob("*.py")])
    checked = non_callable = 0
    for path in files:
        try:
            model, module, source = _model(path)
        except SyntaxError:
            continue
        eager = find_non_callables(model, module)
        data = summary_data(model, module, str(path), text=source)
        assert data["digest"] == (text_digest(source) if data["undecided"] else "")
        assert all(data["non_callables"].values())  # without a walk, only the `async` ones are known
        table = Project([ModuleSummary.from_dict(data)], DEFAULT).non_callables
        quals = [f"{module}.{fn.qualname}" for fn in model.module_functions.values()]
        assert sorted(data["undecided"]) == sorted(q for q in quals if q not in data["non_callables"])
        assert table.reanalysed == []  # nothing asked yet, nothing read
        for qual in quals:
            assert (qual in table) == (qual in eager), qual
            if qual in eager:
                assert table[qual] == eager[qual]
                non_callable += 1
            checked += 1
        assert table.reanalysed == ([str(path)] if data["undecided"] else [])
        assert dict(table) == eager
    assert checked >= 150 and non_callable >= 50, (checked, non_callable)


def test_a_run_decides_only_the_callees_of_actions(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    shop = _shop(tmp_path)
    (shop / "other.py").write_text("def helper():\n    return 1\n")
    spy = _Spy(monkeypatch)
    got = _findings(capsys, "--no-cache", str(shop))
    assert got == [("jobs.py", line, code) for line, code in WANT]
    assert spy.paths == ["tasks.py"]  # other.py and jobs.py: nobody's action calls them


def test_a_cached_summary_is_decided_from_its_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """tasks.py comes from the cache (not parsed in the second run), jobs.py changed: the
    link reads tasks.py again and finds what the first run found."""
    shop = _shop(tmp_path)
    cache = tmp_path / "cache"
    first = _findings(capsys, "--cache-dir", str(cache), str(shop))
    assert first == [("jobs.py", line, code) for line, code in WANT]
    (shop / "jobs.py").write_text(JOBS + "\n# changed\n")
    spy = _Spy(monkeypatch)
    before = runner.ANALYSES
    again = _findings(capsys, "--cache-dir", str(cache), str(shop))
    assert runner.ANALYSES - before == 1  # jobs.py only
    assert again == first
    assert spy.paths == ["tasks.py"]


def test_a_file_changed_since_its_summary_decides_nothing(tmp_path: Path) -> None:
    """The link asks about a text rea did not check: the undecided functions count as giving
    a callable (REA208 stays silent), the `async` one known at summary time still counts."""
    shop = _shop(tmp_path)
    summaries = []
    for name in ("tasks.py", "jobs.py"):
        model, module, source = _model(shop / name)
        summaries.append(ModuleSummary.from_dict(summary_data(model, module, str(shop / name), text=source)))
    (shop / "tasks.py").write_text(TASKS.replace("name)\n    return", "name)\n    return  "))
    linked = Project(summaries, DEFAULT)
    found = sorted((f.line, f.code) for f in linked.findings_for(summaries[1], {"REA108", "REA208"}))
    assert found == [(8, "REA208"), (9, "REA108"), (11, "REA208")]
    assert linked.non_callables.reanalysed == [str(shop / "tasks.py")]
    # the same summaries, the file unchanged: the eager answers
    (shop / "tasks.py").write_text(TASKS)
    linked = Project(summaries, DEFAULT)
    assert sorted((f.line, f.code) for f in linked.findings_for(summaries[1], {"REA108", "REA208"})) == WANT


def test_a_summary_of_fixed_text_decides_eagerly(tmp_path: Path) -> None:
    """With fixes, the text summarized may not be the file's (--diff, stdin): the runner
    asks for every answer at once; without, it leaves them to the link."""
    shop = _shop(tmp_path)
    model, module, source = _model(shop / "tasks.py")
    tree = ast.parse(source)
    for fixed, want_undecided in (({}, True), ({"REA209": 1}, False)):
        result = runner.FileResult(str(shop / "tasks.py"), fixed=dict(fixed))
        where = runner._Where(result.path, True, DEFAULT)
        runner._summarize(result, tree, model, DEFAULT, where, source.splitlines(), source)
        assert result.summary is not None
        assert bool(result.summary["undecided"]) is want_undecided
        if not want_undecided:
            assert result.summary["non_callables"] == find_non_callables(model, module)
            assert result.summary["digest"] == ""


# --- the text changes what is left to the link, and nothing else ------------------------------

HELPERS = """\
import time
from shop.tasks import sync_task

def total(items):
    n = 0
    for item in items:
        n += len(item)
    return n

def double(x):
    return x * 2

def stamp():
    return time.time()

def relay(name):
    return sync_task(name)

def outer(xs):
    def inner():
        return stamp()
    return inner
"""


def _summary(source: str, with_text: bool) -> dict[str, Any]:
    tree = ast.parse(source)
    model = build_model(tree, DEFAULT, ImportMap.from_tree(tree, "shop"))
    return summary_data(model, "shop.helpers", "helpers.py", text=source if with_text else None)


def _deferred_cleared(data: dict[str, Any]) -> dict[str, Any]:
    """A summary without what the link asks later (`undecided`, `digest`) or answers now (`non_callables`)."""
    return {**data, "undecided": [], "digest": "", "non_callables": {}}


def test_every_helper_with_an_effect_or_a_link_is_summarized() -> None:
    """A helper that reads the clock, one that calls another module's function and a nested
    one that calls a helper are summarized; helpers that do neither leave no entry. With
    the text, which functions give no callable is left to the link (all five are undecided)."""
    with_text, without = _summary(HELPERS, True), _summary(HELPERS, False)
    assert set(with_text["functions"]) == {
        "shop.helpers.stamp", "shop.helpers.relay", "shop.helpers.outer.<locals>.inner"}
    assert with_text["functions"]["shop.helpers.stamp"]["effects"] == {"REA101": "time.time()"}
    assert with_text["undecided"] == [
        "shop.helpers.total", "shop.helpers.double", "shop.helpers.stamp", "shop.helpers.relay", "shop.helpers.outer"]
    assert with_text["digest"] == text_digest(HELPERS) and without["digest"] == ""
    assert _deferred_cleared(with_text) == _deferred_cleared(without)


@pytest.mark.parametrize("case", ["form feed", "line separator", "non-ASCII helper"])
def test_a_text_str_splitlines_reads_differently_summarizes_the_same(case: str) -> None:
    """Characters `str.splitlines` breaks at and the tokenizer does not, and a helper's
    non-ASCII line (Python folds identifiers to NFKC: `ｔｉｍｅ` is `time`), change nothing."""
    marks = {"form feed": "  # \x0c", "line separator": "  # \u2028", "non-ASCII helper": "  # ｔｉｍｅ"}
    source = HELPERS.replace("    n = 0\n", f"    n = 0{marks[case]}\n")
    with_text, without = _summary(source, True), _summary(source, False)
    assert with_text["undecided"] and not without["undecided"]
    assert _deferred_cleared(with_text) == _deferred_cleared(without)
    assert set(with_text["functions"]) == set(_summary(HELPERS, True)["functions"])


def test_every_summary_is_the_same_with_and_without_the_text() -> None:
    """Over the fixtures and examples: a summary made with the module's text is the one made
    without it, but for the questions the text lets the link ask later."""
    files = sorted([*ROOT.joinpath("fixtures").rglob("*.py"), *ROOT.joinpath("examples").rglob("*.py")])
    modules = deferred = 0
    for path in files:
        try:
            model, module, source = _model(path)
        except SyntaxError:
            continue
        fresh, _, _ = _model(path)  # (a model of its own: nothing the first run memoised)
        with_text = summary_data(model, module, str(path), text=source)
        without = summary_data(fresh, module, str(path))
        assert _deferred_cleared(with_text) == _deferred_cleared(without), path
        deferred += bool(with_text["undecided"])
        modules += 1
    assert modules >= 30 and deferred >= 20, (modules, deferred)
