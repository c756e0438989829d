"""A workflow's durable promise renamed."""

import restate

svc = restate.Workflow("P38_workflow_promise_renamed")


@svc.main()
async def run(ctx: restate.WorkflowContext, arg: str) -> str:
    a = await ctx.run_typed("a", lambda: "a")
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.promise("consent", type_hint=str).value()  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c


@svc.handler()
async def resolve(ctx: restate.WorkflowSharedContext, name: str) -> None:
    await ctx.promise(name, type_hint=str).resolve("done")
