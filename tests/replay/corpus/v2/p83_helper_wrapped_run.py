"""Every run moved into a helper that returns its result (`await traced(ctx, name, fn)`): a
condition on the result is decided by the recorded result as before (compatible). rea diff
read the condition as changed and called it a break."""

import restate

svc = restate.Service("P83_helper_wrapped_run")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    tags = await traced(ctx, "fetch", lambda: ["t"])
    if not tags:
        return "empty"
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    c = await traced(ctx, "classify", lambda: "c")
    return f"{len(tags)}{c}"


async def traced(ctx: restate.Context, name: str, fn):
    result = await ctx.run_typed(name, fn)
    print("step", name)
    return result
