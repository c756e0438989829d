"""The definition-time workflow-retention check: a delayed send from `run` to the workflow's own
handler that reads state, landing after the retention (counted from completion) is over.

Each case is a module written to disk and imported (the check reads the module's source with
the linter's semantic model), under `strict` (raises) or `warn` (logs and registers).
What the check would catch is shown on a real server in test_retention_server.py
(`test_a_delayed_send_past_the_retention_finds_no_state`).
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path

import pytest
import structlog

from rea_runtime.validation import DefinitionError

_COUNTER = itertools.count()

HEAD = """\
from datetime import timedelta
import restate
import rea_runtime
DELAY = timedelta(days=2)
wf = rea_runtime.Workflow("{name}", policy="{policy}"{extra})
"""

RUN = """\
@wf.main({main})
async def run(ctx: restate.WorkflowContext) -> str:
    ctx.set("order", "o-1")
{body}
    return "ok"
"""

READER = """\
@wf.handler()
async def remind(ctx: restate.WorkflowSharedContext) -> str:
{reader}
"""

READS = '    return await ctx.get("order") or "gone"'
SEND = "    ctx.workflow_send(remind, ctx.key(), None, send_delay={delay})"
DAY = 'workflow_retention=timedelta(days=1)'


def _module(tmp_path: Path, *, policy: str = "strict", main: str = DAY, body: str = SEND.format(delay="timedelta(days=3)"),
            reader: str = READS, extra: str = "", reader_first: bool = False) -> tuple[str, Path]:
    n = next(_COUNTER)
    name = f"RetCheck{n}"
    parts = [RUN.format(main=main, body=body.replace("{name}", name)), READER.format(reader=reader)]
    if reader_first:
        parts.reverse()
    source = HEAD.format(name=name, policy=policy, extra=extra) + "\n".join(parts)
    path = tmp_path / f"retention_case_{n}.py"
    path.write_text(source)
    return source, path


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(path.stem, None)
    return module


def _line(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


FLAGGED = {
    "workflow_send, run returns at once": {},
    "generic_send by name": {"body": '    ctx.generic_send("{name}", "remind", b"null", key=ctx.key(), send_delay=timedelta(hours=30))'},
    "module-level delay constant": {"body": SEND.format(delay="DELAY")},
    "handler registered before run": {"reader_first": True},
    "state read after the send does not wait": {"body": SEND.format(delay="timedelta(days=3)") + '\n    await ctx.get("order")'},
    "promise read by the handler": {"reader": '    return str(await ctx.promise("paid").peek())'},
}

SILENT = {
    "a sleep in run longer than the retention (the clock starts at completion)":
        {"body": "    await ctx.sleep(timedelta(days=30))"},
    "delay within the retention": {"body": SEND.format(delay="timedelta(hours=20)")},
    "run waits for a promise after the send": {"body": SEND.format(delay="timedelta(days=3)") + '\n    await ctx.promise("done").value()'},
    "run sleeps after the send": {"body": SEND.format(delay="timedelta(days=3)") + "\n    await ctx.sleep(timedelta(days=3))"},
    "send inside a loop": {"body": "    for _ in range(2):\n    " + SEND.format(delay="timedelta(days=3)")},
    "handler reads no state": {"reader": "    return 'hello'"},
    "another workflow id": {"body": '    ctx.workflow_send(remind, "other-id", None, send_delay=timedelta(days=3))'},
    "computed delay": {"body": "    d = timedelta(days=1) * 3\n    ctx.workflow_send(remind, ctx.key(), None, send_delay=d)"},
    "no explicit retention (the server's default, configurable there)": {"main": ""},
    "generic_send to another service": {"body": '    ctx.generic_send("Elsewhere", "remind", b"null", key=ctx.key(), send_delay=timedelta(days=3))'},
    "saga-like async with around the send": {"body": "    async with Unwind():\n    " + SEND.format(delay="timedelta(days=3)")},
}


@pytest.mark.parametrize("label", list(FLAGGED))
def test_a_late_delayed_self_send_is_refused_naming_both_lines(tmp_path: Path, label: str) -> None:
    source, path = _module(tmp_path, **FLAGGED[label])
    with pytest.raises(DefinitionError) as err:
        _import(path)
    message = str(err.value)
    send_line = _line(source, "_send(")
    retention_line = _line(source, "workflow_retention=")
    assert f"{path}:{send_line}" in message and f"{path}:{retention_line}" in message, message
    assert "'remind'" in message and "fix: workflow_retention >=" in message


def test_a_preset_retention_names_the_workflow_line(tmp_path: Path) -> None:
    source, path = _module(tmp_path, main="", extra=', preset=rea_runtime.preset("default", workflow_retention=timedelta(hours=1))')
    with pytest.raises(DefinitionError, match=re.escape(f"workflow_retention at {path}:{_line(source, 'preset=')}")):
        _import(path)


def test_warn_logs_once_and_registers(tmp_path: Path) -> None:
    source, path = _module(tmp_path, policy="warn")
    with structlog.testing.capture_logs() as logs:
        module = _import(path)
        import rea_runtime

        rea_runtime.app([module.wf])  # validating again does not report again
    found = [entry for entry in logs if entry.get("check") == "workflow-retention"]
    assert len(found) == 1 and f"{path}:{_line(source, '_send(')}" in found[0]["event"]
    assert set(module.wf.handlers) == {"run", "remind"}


def test_plain_restate_workflows_are_checked_by_app(tmp_path: Path) -> None:
    source = (
        "from datetime import timedelta\nimport restate\nwf = restate.Workflow('RetPlain')\n"
        + RUN.format(main=DAY, body=SEND.format(delay="timedelta(days=3)")) + READER.format(reader=READS)
    )
    path = tmp_path / "retention_plain.py"
    path.write_text(source)
    module = _import(path)  # the SDK itself checks nothing
    import rea_runtime
    from rea_runtime.policy import Policy

    with pytest.raises(DefinitionError, match=re.escape(f"{path}:{_line(source, '_send(')}")):
        rea_runtime.app([module.wf], policy=Policy("strict"))


def test_silent_cases(tmp_path: Path) -> None:
    checked = 0
    for label, case in SILENT.items():
        source, path = _module(tmp_path, **case)
        if "Unwind" in source:
            path.write_text(source.replace("import rea_runtime\n", "import rea_runtime\nclass Unwind:\n"
                                           "    async def __aenter__(self): return self\n"
                                           "    async def __aexit__(self, *a): return False\n", 1))
        try:
            module = _import(path)
        except DefinitionError as err:  # pragma: no cover - the failure message names the case
            raise AssertionError(f"{label}: reported {err}") from None
        assert "remind" in module.wf.handlers, label
        checked += 1
    assert checked == len(SILENT) == 11
