"""A promise resolved with another literal (a promise's value is compared: the SDK writes the
literal as JSON)."""

import restate

svc = restate.Workflow("P119_promise_resolved_literal_changed")


@svc.main()
async def run(ctx: restate.WorkflowContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.promise("p", type_hint=str).resolve("finished")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
