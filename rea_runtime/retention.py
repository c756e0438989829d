"""Definition-time check of a workflow's retention against the delayed sends of its `run`.

restate-server keeps a workflow's state, promises and result for `workflow_retention` after
`run` completes (tests/runtime/test_retention_server.py shows a `run` sleeping longer than its
retention still reading its state), so no sleep or timer inside `run` can outlive them. What
can: a delayed send from `run` to one of the workflow's own handlers (same id) that reads
state or promises, when `run` returns right after sending and the delay is longer than the
retention. The handler then runs on a workflow whose state is gone. That is reported under the
policy's default level (`strict` raises `DefinitionError`, `warn` logs once), naming the
retention's line and the send's line. Found with the linter's semantic model
(`rea_lint.workflow_sends`); without source or without `rea_lint` the check stays silent.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
from datetime import timedelta
from typing import Any

import structlog

from .policy import Policy
from .validation import DefinitionError

__all__ = ["check_workflow_retention", "construction_site"]

_log = structlog.get_logger("rea_runtime")
_MODELS: dict[str, tuple[float, Any]] = {}
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def construction_site() -> str | None:
    """`file:line` of the first caller outside rea_runtime (where a Workflow/preset is given)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else None


def _model(filename: str) -> Any:
    try:
        from rea_lint.model import build_model
    except ImportError:  # pragma: no cover - rea_lint is optional for rea_runtime
        return None
    try:
        mtime = os.stat(filename).st_mtime
        cached = _MODELS.get(filename)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        with open(filename, encoding="utf-8") as f:
            model = build_model(ast.parse(f.read(), filename))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None  # no source (REPL, exec, zip import): stay silent
    _MODELS[filename] = (mtime, model)
    return model


def _located(fn: Any) -> tuple[Any, Any] | None:
    """(model, Function) of a handler's user function, from its module's source."""
    from rea_lint.workflow_sends import function_at

    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    model = _model(code.co_filename)
    if model is None:
        return None
    found = function_at(model, code.co_name, code.co_firstlineno)
    return (model, found) if found is not None else None


def _retention_line(model: Any, run: Any, filename: str, fallback: str | None) -> str | None:
    for deco in run.node.decorator_list:
        if isinstance(deco, ast.Call) and any(k.arg == "workflow_retention" for k in deco.keywords):
            return f"{filename}:{deco.lineno}"
    return fallback


def _target(service: Any, send: Any, run_fn: Any) -> Any:
    """The registered handler of ``service`` a send targets, or None."""
    if not send.by_name:
        return service.handlers.get(send.handler)
    bound = run_fn.__globals__.get(send.handler)
    if send.handler in run_fn.__code__.co_freevars:  # a handler defined beside run in a function
        cell = run_fn.__closure__[run_fn.__code__.co_freevars.index(send.handler)]
        try:
            bound = cell.cell_contents
        except ValueError:  # not assigned yet: still decorating
            bound = None
    for handler in service.handlers.values():
        user = inspect.unwrap(handler.fn)
        if bound is not None:
            if bound is handler.fn or inspect.unwrap(bound) is user:
                return handler
        elif user.__name__ == send.handler:
            return handler  # not bound yet: the module is still executing its decorators
    return None


def _fmt(seconds: float) -> str:
    return str(timedelta(seconds=seconds))


def check_workflow_retention(service: Any, policy: Policy, retention_site: str | None = None) -> None:
    """Check a Workflow's `run` (with an explicit `workflow_retention`) against its delayed
    sends to its own registered handlers. Idempotent: each send is reported once."""
    if getattr(getattr(service, "service_tag", None), "kind", None) != "workflow" or policy.default == "disabled":
        return
    main = next((h for h in service.handlers.values() if h.kind == "workflow"), None)
    retention = getattr(main, "workflow_retention", None)
    if main is None or retention is None:
        return  # the server's default (configurable there): nothing to compare with
    located = _located(main.fn)
    if located is None:
        return
    from rea_lint.workflow_sends import delayed_self_sends, reads_workflow_state

    model, run = located
    run_fn = inspect.unwrap(main.fn)
    filename = run_fn.__code__.co_filename
    reported: set[int] = service.__dict__.setdefault("_rea_retention_reported", set())
    for send in delayed_self_sends(model, run, service.name):
        if not send.final or send.seconds <= retention.total_seconds() or send.call.lineno in reported:
            continue
        target = _target(service, send, run_fn)
        if target is None or target is main:
            continue
        located_target = _located(target.fn)
        if located_target is None or not reads_workflow_state(*located_target):
            continue
        reported.add(send.call.lineno)
        where = _retention_line(model, run, filename, retention_site) or "the preset"
        message = (
            f"Workflow {service.name!r}: run sends to its own handler {target.name!r} with a delay of "
            f"{_fmt(send.seconds)} (at {filename}:{send.call.lineno}) and returns without waiting, but the "
            f"workflow keeps its state only {retention} after run completes (workflow_retention at "
            f"{where}), so {target.name!r} will find no state or promises; fix: workflow_retention >= "
            f"{_fmt(send.seconds)}, or a delay within it, or have run wait for the handler's work "
            f"(e.g. a promise it resolves) before returning"
        )
        if policy.default == "strict":
            raise DefinitionError(message)
        _log.warning(message, check="workflow-retention", workflow=service.name, fix="raise workflow_retention")
