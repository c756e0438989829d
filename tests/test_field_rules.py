"""The rules of revision 3 beyond their fixtures: REA210 across modules, REA208 against
transitive findings, REA209's fix, and the summary that carries REA210's facts."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

from rea_lint.cli import main
from rea_lint.config import DEFAULT
from rea_lint.engine import check_tree
from rea_lint.project import ModuleSummary, Project, summarize_source
from tests.test_fixtures import flake8_subprocess

COUNTER = """\
import restate
counter = restate.VirtualObject("counter")
flow = restate.Workflow("flow")

@counter.handler()
async def add(ctx: restate.ObjectContext, n: int) -> int:
    return n

@flow.main()
async def run(ctx: restate.WorkflowContext) -> None:
    return None
"""
CALLER = """\
import restate
from app.counter import add
from app import counter as c
svc = restate.Service("caller")

@svc.handler()
async def call(ctx: restate.Context) -> None:
    await ctx.service_call(add, arg=1)
    await ctx.object_call(add, key="k", arg=1)
    await ctx.object_call(c.run, key="k", arg=None)
    await ctx.workflow_call(c.run, key="k", arg=None)
    await ctx.generic_call("flow", "run", b"")
    await ctx.generic_call("flow", "run", b"", key="k")
    await ctx.service_call(add, arg=1)  # noqa: REA210
"""


def _project(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "counter.py").write_text(COUNTER)
    (app / "caller.py").write_text(CALLER)
    return app


def _json(capsys, *argv: str) -> dict:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    main(["check", "--no-cache", "--format", "json", *argv])
    return json.loads(capsys.readouterr().out)


def test_rea210_resolves_targets_across_the_project(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    app = _project(tmp_path)
    doc = _json(capsys, "--select", "REA210", str(app))
    got = sorted((Path(f["path"]).name, f["line"], f["code"]) for f in doc["findings"])
    # service_call on an object handler, object_call on a workflow handler (through a module
    # alias), a keyless generic call to a workflow; the right calls and the noqa line are silent
    assert got == [("caller.py", 8, "REA210"), ("caller.py", 10, "REA210"), ("caller.py", 12, "REA210")]
    messages = {f["line"]: f["message"] for f in doc["findings"]}
    assert "a handler of VirtualObject `counter`" in messages[8]
    assert "a handler of Workflow `flow`" in messages[10]


def test_rea210_per_file_front_end_stays_silent_on_imported_targets(tmp_path: Path) -> None:
    """flake8 sees one file: an imported target is not resolved there, and not guessed."""
    app = _project(tmp_path)
    proc = flake8_subprocess([app / "caller.py"])
    assert "Traceback" not in proc.stderr
    assert "REA210" not in proc.stdout


def test_summary_carries_handlers_services_and_kind_calls() -> None:
    summary = summarize_source(COUNTER, "app/counter.py", "app.counter")
    assert dict(summary.handlers) == {"app.counter.add": ("VirtualObject", "counter"), "app.counter.run": ("Workflow", "flow")}
    assert dict(summary.services) == {"counter": "VirtualObject", "flow": "Workflow"}
    caller = summarize_source(CALLER, "app/caller.py", "app.caller")
    assert [(m, s.target) for m, s in caller.kind_calls][:3] == [
        ("service_call", "app.counter.add"),
        ("object_call", "app.counter.add"),
        ("object_call", "app.counter.run"),
    ]
    for s in (summary, caller):
        assert ModuleSummary.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    found = Project([summary, caller]).findings_for(caller, {"REA210"})
    assert [f.line for f in found] == [8, 10, 12, 14]  # the project itself does not read noqa


ASYNC_ACTION = """\
import restate, requests
svc = restate.Service("jobs")

async def trigger_task(name):
    requests.post("https://jobs.example.com", json=name)

def sync_task(name):
    requests.post("https://jobs.example.com", json=name)

@svc.handler()
async def start(ctx: restate.Context, name: str):
    await ctx.run("trigger", trigger_task(name))
    await ctx.run("sync", sync_task(name))
"""


def test_rea208_a_coroutine_action_is_not_followed_transitively(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Calling an `async def` does not run its body: REA208 alone at that call; a sync callee
    runs in handler code, so its I/O is reported as well (the rule specification, Readings)."""
    want = [(12, "REA208"), (13, "REA108"), (13, "REA208")]
    same = [(f.line, f.code) for f in check_tree(ast.parse(ASYNC_ACTION), DEFAULT, {"REA108", "REA208"})]
    assert same == want
    path = tmp_path / "jobs.py"
    path.write_text(ASYNC_ACTION)
    doc = _json(capsys, "--select", "REA108,REA208", str(path))
    assert sorted((f["line"], f["code"]) for f in doc["findings"]) == want


LOOP = textwrap.dedent(
    """\
    import restate
    svc = restate.Service("subs")

    @svc.handler()
    async def subscribe(ctx: restate.Context, subs: list[str]):
        undo = []
        for sub in subs:
            undo.append(lambda: remove(sub))
            undo.append(lambda *a, **k: remove(sub, *a))

            def compensate(reason, *, force=False):
                remove(sub, reason)

            undo.append(compensate)
        for u in undo:
            await ctx.run_typed("undo", u)
    """
)


def test_rea209_fix_binds_the_variable_and_is_idempotent(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "subs.py"
    path.write_text(LOOP)
    assert [f["line"] for f in _json(capsys, "--select", "REA209", str(path))["findings"]] == [8, 9, 11]
    main(["check", "--no-cache", "--select", "REA209", "--fix", str(path)])
    fixed = path.read_text()
    assert "undo.append(lambda sub=sub: remove(sub))" in fixed
    assert "undo.append(lambda *a, sub=sub, **k: remove(sub, *a))" in fixed
    assert "def compensate(reason, *, force=False, sub=sub):" in fixed
    ast.parse(fixed)
    assert _json(capsys, "--select", "REA209", str(path))["findings"] == []
    main(["check", "--no-cache", "--select", "REA209", "--fix", str(path)])
    assert path.read_text() == fixed  # a second fix changes nothing


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
"""
JOBS = """\
import restate
from shop.tasks import trigger_task, sync_task, make
from shop import tasks
svc = restate.Service("jobs")

@svc.handler()
async def start(ctx: restate.Context, name: str):
    await ctx.run("a", trigger_task(name))
    await ctx.run("b", sync_task(name))
    await ctx.run("c", make(name))
    await ctx.run("d", tasks.trigger_task(name))
    await ctx.run("e", trigger_task(name))  # noqa: REA208
"""


def test_rea208_resolves_callees_across_the_project(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("")
    (shop / "tasks.py").write_text(TASKS)
    (shop / "jobs.py").write_text(JOBS)
    doc = _json(capsys, "--select", "REA108,REA208", str(shop))
    got = sorted((f["line"], f["code"]) for f in doc["findings"])
    # an imported coroutine function (by name and through its module): REA208 alone; an
    # imported sync function runs in handler code: its I/O too; a factory: nothing
    assert got == [(8, "REA208"), (9, "REA108"), (9, "REA208"), (11, "REA208")]
    per_file = flake8_subprocess([shop / "jobs.py"], "--select", "REA208")
    assert "REA208" not in per_file.stdout  # one file: the callee is not resolved, not guessed
