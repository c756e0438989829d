"""REA101 time-in-handler: clock reads in handler code differ on every replay."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.config import ReaConfig
from rea_lint.model import Function, Model, call_name
from rea_lint.rules.base import CallRule, Cues, Detection, NodeSource, method_calls

LOOP_GETTERS = frozenset({"asyncio.get_running_loop", "asyncio.get_event_loop"})
"""Calls that return the event loop, whose `.time()` is a monotonic clock read."""
_LOOP_CUES = Cues(LOOP_GETTERS)

_HEADER = "import restate, time, datetime\nsvc = restate.Service('s')\n"


class TimeInHandler(CallRule):
    transitive = True
    code = "REA101"
    targets = frozenset(
        {
            "time.time",
            "time.time_ns",
            "time.monotonic",
            "time.monotonic_ns",
            "time.perf_counter",
            "time.perf_counter_ns",
            "time.process_time",
            "time.process_time_ns",
            "time.thread_time",
            "time.thread_time_ns",
            "datetime.datetime.now",
            "datetime.datetime.utcnow",
            "datetime.datetime.today",
            "datetime.date.today",
        }
    )
    def cues(self, config: ReaConfig) -> Cues:
        """A target, or the loop getter whose loop's `.time()` is read."""
        return Cues.union(self.call_cues(config.extra_calls.get(self.code, ())), _LOOP_CUES)

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        yield from super().detect(model, nodes)
        loops: dict[int, set[str]] = {}
        getters: bool | None = None
        for call, fn in method_calls(model, nodes, ("time",)):
            if call.args or call.keywords:
                continue
            if getters is None:  # no import a loop getter can come from: no `.time()` is a loop's
                getters = bool(_LOOP_CUES.names(model))
            if not getters:
                break
            receiver = call.func.value  # type: ignore[attr-defined]
            if isinstance(receiver, ast.Call):
                found = model.call_target(receiver, fn) in LOOP_GETTERS
            elif isinstance(receiver, ast.Name):
                names = loops.get(id(fn))
                if names is None:
                    names = loops[id(fn)] = _loop_names(model, fn)
                found = receiver.id in names
            else:
                found = False
            if found:
                yield call, fn, call_name(call)

    invalid = (
        _HEADER + "@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n    return time.time()\n",
        _HEADER + "@svc.handler()\nasync def h(ctx):\n    return datetime.datetime.now().isoformat()\n",
        "import restate\nfrom time import monotonic as mono\ndef helper(ctx: restate.Context):\n    return mono()\n",
        "import restate, asyncio\nasync def h(ctx: restate.Context):\n    loop = asyncio.get_running_loop()\n"
        "    return loop.time()\n",
    )
    valid = (
        _HEADER + "@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n    return await ctx.time()\n",
        _HEADER + "@svc.handler()\nasync def h(ctx: restate.Context) -> float:\n"
        "    return await ctx.run_typed('now', lambda: time.time())\n",
        _HEADER + "STARTED = time.time()\ndef plain():\n    return time.time()\n",
        "import restate, asyncio\nasync def h(ctx: restate.Context, loop):\n    return loop.time()  # a loop held elsewhere\n",
    )


def _loop_names(model: Model, fn: Function) -> set[str]:
    """Names ``fn`` binds to `asyncio.get_running_loop()` / `get_event_loop()` and nothing else."""
    loops: set[str] = set()
    other: set[str] = set()
    for assign in model.function_nodes(fn).get(ast.Assign, ()):
        value = assign.value  # type: ignore[attr-defined]
        is_loop = isinstance(value, ast.Call) and model.call_target(value, fn) in LOOP_GETTERS
        for target in assign.targets:  # type: ignore[attr-defined]
            if isinstance(target, ast.Name):
                (loops if is_loop else other).add(target.id)
    return loops - other
