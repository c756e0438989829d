"""REA110 thread-in-handler: threads, executors and processes run outside the journal."""

from __future__ import annotations

import ast
from typing import Iterator

from rea_lint.config import ReaConfig
from rea_lint.model import Model, call_name
from rea_lint.rules.base import CallRule, Cues, Detection, NodeSource, method_calls

_HEADER = "import restate, threading, asyncio\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"

# multiprocessing functions that start nothing.
_MP_EXEMPT = frozenset(
    {
        "multiprocessing.cpu_count",
        "multiprocessing.current_process",
        "multiprocessing.parent_process",
        "multiprocessing.active_children",
        "multiprocessing.get_start_method",
        "multiprocessing.get_all_start_methods",
    }
)


class ThreadInHandler(CallRule):
    code = "REA110"
    transitive = True
    targets = frozenset(
        {
            "threading.Thread",
            "threading.Timer",
            "_thread.start_new_thread",
            "_thread.start_new",
            "asyncio.to_thread",
            "concurrent.futures.ThreadPoolExecutor",
            "concurrent.futures.ProcessPoolExecutor",
            "concurrent.futures.InterpreterPoolExecutor",
            "concurrent.futures.thread.ThreadPoolExecutor",
            "concurrent.futures.process.ProcessPoolExecutor",
        }
    )
    prefixes = ("multiprocessing.",)

    @classmethod
    def allows(cls, qualname: str, call: ast.Call) -> bool:
        return qualname in _MP_EXEMPT

    cue_methods = frozenset({"run_in_executor"})

    def cues(self, config: ReaConfig) -> Cues:
        return self.call_cues(config.extra_calls.get(self.code, ()))

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        yield from super().detect(model, nodes)
        # `loop.run_in_executor(...)` on whatever loop: the receiver's type is unknowable
        for call, fn in method_calls(model, nodes, ("run_in_executor",)):
            yield call, fn, call_name(call)

    invalid = (
        _HEADER + "    threading.Thread(target=work).start()\n",
        _HEADER + "    return await asyncio.to_thread(work)\n",
        _HEADER + "    return await asyncio.get_running_loop().run_in_executor(None, work)\n",
        "import restate\nfrom concurrent.futures import ThreadPoolExecutor\nasync def h(ctx: restate.Context):\n"
        "    with ThreadPoolExecutor() as pool:\n        pool.submit(work)\n",
        "import restate, multiprocessing\nasync def h(ctx: restate.Context):\n    multiprocessing.Process(target=work).start()\n",
    )
    valid = (
        _HEADER + "    return await ctx.run_typed('work', work)\n",
        "import restate, multiprocessing\nasync def h(ctx: restate.Context):\n    return multiprocessing.cpu_count()\n",
        "import threading\ndef start():\n    threading.Thread(target=work).start()\n",
    )
