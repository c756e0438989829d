"""REA203 context-kind-mismatch: the context annotation contradicts the handler's decorator."""

from __future__ import annotations

from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.model import Model, source_text
from rea_lint.rules.base import Checker

_OBJ = "import restate\nobj = restate.VirtualObject('o')\n"


class ContextKindMismatch(Checker):
    code = "REA203"
    needs = "functions"  # it reads defs only

    def check(self, model: Model) -> Iterator[Finding]:
        for fn in model.functions:
            handler = fn.handler
            if handler is None or handler.factory is None:
                continue  # inferred from the annotation itself, or a configured decorator
            for ctx in fn.own_contexts.values():
                if ctx.annotation is not None and ctx.type is not None:
                    expected = handler.expected_context  # (None: kind= computed at run time)
                    # a union that admits the expected context is not a mismatch: the SDK passes that one
                    if expected is not None and ctx.type != expected and expected not in model.context_types_of(ctx.annotation):
                        yield self.report(
                            ctx.annotation,
                            subject=source_text(ctx.annotation),
                            ctx=ctx.name,
                            data={"expected": expected, "annotation": ctx.annotation, "found": ctx.type},
                        )
                break  # the handler's context is its first context parameter

    invalid = (
        _OBJ + "@obj.handler(kind='shared')\nasync def h(ctx: restate.ObjectContext):\n    pass\n",
        _OBJ + "@obj.handler()\nasync def h(ctx: restate.Context):\n    pass\n",
        "import restate\nwf = restate.Workflow('w')\n@wf.main()\nasync def run(ctx: restate.WorkflowSharedContext):\n    pass\n",
        "import restate\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.ObjectContext):\n    pass\n",
    )
    valid = (
        _OBJ + "@obj.handler(kind='shared')\nasync def h(ctx: restate.ObjectSharedContext):\n    pass\n",
        _OBJ + "@obj.handler()\nasync def h(ctx):\n    pass\n",
        "import restate\nwf = restate.Workflow('w')\n@wf.handler()\nasync def get(ctx: restate.WorkflowSharedContext):\n    pass\n",
        "import restate\nasync def helper(ctx: restate.ObjectSharedContext):\n    pass\n",
        _OBJ + "@obj.handler(kind='shared')\nasync def h(ctx: restate.ObjectContext | restate.ObjectSharedContext):\n    pass\n",
        # a decorator in a class body names the class's `obj`, a Service, not the module's
        _OBJ + "class Handlers:\n    obj = restate.Service('s')\n    @staticmethod\n    @obj.handler()\n"
        "    async def h(ctx: restate.Context):\n        pass\n",
    )
