"""A workflow's state key renamed."""

import restate

svc = restate.Workflow("P40_workflow_state_key")


@svc.main()
async def run(ctx: restate.WorkflowContext, arg: str) -> str:
    ctx.set("phase", "a")
    a = "a"
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    b = await ctx.run_typed("b", lambda: "b")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    c = await ctx.run_typed("c", lambda: "c")
    return a + b + c


@svc.handler()
async def resolve(ctx: restate.WorkflowSharedContext, name: str) -> None:
    await ctx.promise(name, type_hint=str).resolve("done")
