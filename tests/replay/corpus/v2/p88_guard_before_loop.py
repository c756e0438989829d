"""A helper's loop gains a guard that returns when there is nothing to loop over (`if not
items: return`, then `for item in items`): an invocation whose journal shows the loop ran had
items, so the guard lets it through (compatible). rea diff called it breaking, along a way
where the guard returns though the loop ran."""

import restate

svc = restate.Service("P88_guard_before_loop")


async def process(ctx: restate.Context, items: list[str]) -> int:
    if not items:
        return 0
    done = 0
    for item in items:
        await ctx.run_typed("step", lambda: item)
        done += 1
    return done


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    items = await ctx.run_typed("items", lambda: ["a", "b"])
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    done = await process(ctx, items)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return f"{done}"
