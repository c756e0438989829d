"""A promise rejected with another message (a promise's failure is compared)."""

import restate

svc = restate.Workflow("P115_promise_reject_message_changed")


@svc.main()
async def run(ctx: restate.WorkflowContext, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    await ctx.promise("p").reject("nope")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return arg
