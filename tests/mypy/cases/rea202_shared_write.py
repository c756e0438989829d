import restate
from restate import ObjectContext, ObjectSharedContext, WorkflowContext, WorkflowSharedContext

from clock_util import counter

obj = restate.VirtualObject("obj")
wf = restate.Workflow("wf")
alias = obj


@obj.handler(kind="shared")
async def peek(ctx: ObjectContext) -> None:  # expect: REA203
    ctx.set("k", 1)  # expect: REA202
    ctx.clear("k")  # expect: REA202


@alias.handler(kind="shared")
async def peek2(ctx: ObjectSharedContext) -> None:
    ctx.clear_all()  # type: ignore[attr-defined]  # expect: REA202


@counter.handler(kind="shared")
async def remote(ctx: ObjectSharedContext) -> None:
    ctx.set("k", 2)  # type: ignore[attr-defined]  # expect: REA202


@obj.handler()
async def write(ctx: ObjectContext) -> None:
    ctx.set("k", 1)


@wf.main()
async def main(ctx: WorkflowContext) -> None:
    ctx.set("k", 1)


@wf.handler()
async def signal(ctx: WorkflowSharedContext) -> None:
    ctx.set("k", 1)  # type: ignore[attr-defined]  # expect: REA202


def helper(ctx: WorkflowSharedContext) -> None:
    ctx.clear("k")  # type: ignore[attr-defined]  # expect: REA202


def either(ctx: ObjectSharedContext | ObjectContext) -> None:
    ctx.set("k", 1)  # type: ignore[union-attr]  # either kind may come: not reported


def either_too(ctx: ObjectContext | ObjectSharedContext) -> None:
    ctx.clear("k")  # type: ignore[union-attr]  # the member order does not matter


def only_shared(ctx: ObjectSharedContext | WorkflowSharedContext) -> None:
    ctx.clear_all()  # type: ignore[union-attr]  # expect: REA202


# A decorator mypy cannot resolve calls no hook: the declared shared context still tells.
from typing import Any  # noqa: E402

import a_library_mypy_cannot_import  # type: ignore[import-not-found]  # noqa: E402

anything: Any = obj
unresolved = a_library_mypy_cannot_import.VirtualObject("unresolved")


@anything.handler(kind="shared")
async def through_any(ctx: ObjectSharedContext) -> None:
    ctx.set("k", 3)  # type: ignore[attr-defined]  # expect: REA202


@unresolved.handler(kind="shared")
async def through_unimported(ctx: ObjectSharedContext) -> str | None:
    ctx.clear("k")  # type: ignore[attr-defined]  # expect: REA202
    return await ctx.get("k")
