"""REA202 state-write-in-shared-handler: the server refuses the write and retries forever."""

from __future__ import annotations

from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import SHARED_CONTEXT_TYPES, Context, HandlerKind, Model, call_name
from rea_lint.rules.base import Checker, method_calls

WRITE_METHODS = frozenset({"set", "clear", "clear_all"})


class StateWriteInSharedHandler(Checker):
    code = "REA202"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        for call, fn in method_calls(model, model.handler_nodes, WRITE_METHODS):  # (by method, then in order)
            ctx = model.context_of(call.func.value, fn)  # type: ignore[attr-defined]
            if ctx is not None and _shared(model, ctx):
                yield self.report(call, subject=call_name(call), ctx=ctx.name)

    invalid = (
        "import restate\nobj = restate.VirtualObject('o')\n@obj.handler(kind='shared')\n"
        "async def h(ctx: restate.ObjectSharedContext):\n    ctx.set('k', 1)\n",
        "import restate\nwf = restate.Workflow('w')\n@wf.handler()\nasync def h(ctx):\n    ctx.clear_all()\n",
        "import restate\ndef helper(ctx: restate.ObjectSharedContext):\n    ctx.clear('k')\n",
    )
    valid = (
        "import restate\nobj = restate.VirtualObject('o')\n@obj.handler()\n"
        "async def h(ctx: restate.ObjectContext):\n    ctx.set('k', 1)\n",
        "import restate\nwf = restate.Workflow('w')\n@wf.main()\nasync def run(ctx: restate.WorkflowContext):\n    ctx.set('k', 1)\n",
        "import restate\nobj = restate.VirtualObject('o')\n@obj.handler(kind='shared')\n"
        "async def h(ctx: restate.ObjectSharedContext, cache: dict):\n    cache.clear()\n",
        # either kind of context may come: mypy reports the write on the union, rea cannot be sure
        "import restate\ndef helper(ctx: restate.ObjectSharedContext | restate.ObjectContext):\n    ctx.set('k', 1)\n",
    )


def _shared(model: Model, ctx: Context) -> bool:
    """Shared by the kind of the handler it belongs to, or by an annotation that admits only
    shared contexts."""
    handler = ctx.owner.handler
    if handler is not None and handler.decorator is not None and handler.kind is HandlerKind.SHARED:
        return True
    return ctx.type in SHARED_CONTEXT_TYPES and all(t in SHARED_CONTEXT_TYPES for t in model.context_types_of(ctx.annotation))
