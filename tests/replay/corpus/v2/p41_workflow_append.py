"""A step appended after a workflow's promise."""

import restate

svc = restate.Workflow("P41_workflow_append")


@svc.main()
async def run(ctx: restate.WorkflowContext, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.promise("approval", type_hint=str).value()  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    await ctx.run_typed("notify", lambda: None)
    return a + b + c


@svc.handler()
async def resolve(ctx: restate.WorkflowSharedContext, name: str) -> None:
    await ctx.promise(name, type_hint=str).resolve("done")
