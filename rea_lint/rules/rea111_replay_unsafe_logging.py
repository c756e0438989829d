"""REA111 replay-unsafe-logging: print and stdlib loggers repeat their lines on every replay."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.model import Function, Model, call_name
from rea_lint.rules.base import CallRule, Detection, NodeSource, method_calls, qualified_calls, segments

_HEADER = "import restate, logging\nobj = restate.VirtualObject('o')\n@obj.handler()\nasync def h(ctx: restate.ObjectContext):\n"

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
_LOGGER_FACTORIES = frozenset({"logging.getLogger", "logging.getLoggerClass", "logging.root", "logging.Logger"})


class ReplayUnsafeLogging(CallRule):
    code = "REA111"
    targets = frozenset({"builtins.print", "pprint.pprint", "pprint.pp"} | {f"logging.{m}" for m in LOG_METHODS})

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        yield from super().detect(model, nodes)
        loggers: set[tuple[int, str]] | None = None
        module_loggers: dict[str, bool] = {}  # a module-level name's answer, once
        for call, fn in method_calls(model, nodes, LOG_METHODS):
            receiver = call.func.value  # type: ignore[attr-defined]
            if isinstance(receiver, ast.Call):  # logging.getLogger(__name__).info(...)
                if model.call_target(receiver, fn) in _LOGGER_FACTORIES:
                    yield call, fn, call_name(call)
            elif isinstance(receiver, ast.Name):
                if loggers is None:
                    loggers = _local_loggers(model, nodes)
                if _is_logger_name(model, receiver.id, fn, loggers, module_loggers):
                    yield call, fn, call_name(call)
            elif isinstance(receiver, ast.Attribute) and model.qualify(receiver, fn) == "logging.root":
                yield call, fn, call_name(call)

    invalid = (
        _HEADER + "    print('charging', ctx.key())\n",
        _HEADER + "    logging.info('charging')\n",
        "import restate, logging\nlog = logging.getLogger(__name__)\n"
        "async def h(ctx: restate.Context):\n    log.warning('retrying')\n",
    )
    valid = (
        "import restate\nlog = restate.getLogger()\nasync def h(ctx: restate.Context):\n    log.info('replay-aware')\n",
        _HEADER + "    await ctx.run_typed('log', lambda: print('once'))\n",
        "import logging\nlog = logging.getLogger(__name__)\ndef plain():\n    log.info('not handler code')\n",
    )


def _local_loggers(model: Model, nodes: NodeSource) -> set[tuple[int, str]]:
    """(function id, name) for names handler code binds to a stdlib logger."""
    out: set[tuple[int, str]] = set()
    if _LOGGER_FACTORIES.isdisjoint(qualified_calls(model, nodes)[1]):
        return out  # no call among these makes a logger, so no assignment of one does
    for assigns, fn in segments(model, nodes, ast.Assign):
        for assign in assigns:
            value = assign.value
            if isinstance(value, ast.Call) and model.call_target(value, fn) in _LOGGER_FACTORIES:
                for target in assign.targets:
                    if isinstance(target, ast.Name):
                        out.add((id(fn), target.id))
    return out


def _is_logger_name(
    model: Model, name: str, fn: Function, local: set[tuple[int, str]], module: dict[str, bool] | None = None
) -> bool:
    scope: Function | None = fn
    while scope is not None:
        if name in scope.local_names:
            return (id(scope), name) in local
        scope = scope.parent
    if module is None:
        return _is_module_logger(model, name)
    found = module.get(name)
    if found is None:
        found = module[name] = _is_module_logger(model, name)
    return found


def _is_module_logger(model: Model, name: str) -> bool:
    value = model.module_values.get(name)
    if isinstance(value, ast.Call):
        return model.qualify(value.func) in _LOGGER_FACTORIES
    if value is not None:
        return model.qualify(value) == "logging.root"
    return False
