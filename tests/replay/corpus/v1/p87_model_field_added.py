"""A pydantic model made from a run's result gains a field with a default (duksosleepy/
restate_server 8e2dd2b9c9): a branch on another of its fields decides as before, on the
recorded result (compatible). rea diff read the branch as changed, the model's code being part
of it, and called the handler breaking."""

from pydantic import BaseModel

import restate

svc = restate.Service("P87_model_field_added")


class Response(BaseModel):
    success: bool
    error: str | None = None


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    response = Response(**await ctx.run_typed("http", lambda: {"success": True}))
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    if response.success:
        c = await ctx.run_typed("delete", lambda: "deleted")
    else:
        c = await ctx.run_typed("log", lambda: "logged")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return c
