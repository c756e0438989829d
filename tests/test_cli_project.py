"""`rea check` runs the whole-project (transitive) analysis over the linted set, with the cache."""

from __future__ import annotations

import json
import textwrap

import pytest

from rea_lint import runner
from rea_lint.cli import main

FILES = {
    "shop/__init__.py": "",
    "shop/clock.py": """\
        import time


        def now():
            return _read()


        def _read():
            return time.time()
        """,
    "shop/handlers.py": """\
        import restate
        from shop import clock

        svc = restate.Service("svc")


        @svc.handler()
        async def h(ctx: restate.Context):
            a = clock.now()
            b = clock.now()  # noqa: REA101
            return a, b
        """,
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    for name, text in FILES.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys, *argv: str) -> tuple[int, int, dict]:
    before = runner.ANALYSES
    code = main(["check", "-j", "1", "--format", "json", *argv])
    return code, runner.ANALYSES - before, json.loads(capsys.readouterr().out)


def test_cross_module_chain_at_the_handlers_call_site(project, capsys):
    code, _, doc = check(capsys, ".")
    assert code == 1
    [f] = doc["findings"]  # the second call is silenced by its noqa
    assert (f["path"], f["line"], f["column"], f["code"]) == ("shop/handlers.py", 9, 9, "REA101")
    assert "via clock.now() -> _read() -> time.time():" in f["message"]
    assert f["fix"] is None  # the change belongs in the helper


def test_cached_run_still_links_the_project(project, capsys):
    first = check(capsys, ".")
    second = check(capsys, ".")
    assert second[1] == 0 and second[2]["findings"] == first[2]["findings"]
    # a change in the helper module alone: one file analysed, the caller's finding goes away
    (project / "shop" / "clock.py").write_text("def now():\n    return 0.0\n")
    code, analysed, doc = check(capsys, ".")
    assert analysed == 1 and code == 0 and doc["findings"] == []


def test_ignoring_the_code_turns_the_chain_off(project, capsys):
    assert check(capsys, "--ignore", "REA101", ".")[0] == 0
    assert check(capsys, "--select", "REA2", ".")[0] == 0


def test_a_broken_helper_module_is_reported_not_fatal(project, capsys):
    (project / "shop" / "broken.py").write_text("def f(:\n")
    code, _, doc = check(capsys, ".")
    assert [e["path"] for e in doc["errors"]] == ["shop/broken.py"]
    assert [f["code"] for f in doc["findings"]] == ["REA101"]
