import functools

import restate
from restate import Context, ObjectContext, RunOptions


def use(ctx: Context) -> str:
    return "x"


def pure(x: int) -> int:
    return x


async def h(ctx: ObjectContext) -> None:
    await ctx.run_typed("a", lambda: ctx.key())  # expect: REA201
    await ctx.run_typed("b", use, RunOptions(), ctx)  # expect: REA201
    await ctx.run("c", use, args=(ctx,))  # expect: REA201
    await ctx.run_typed("d", functools.partial(use, ctx))  # expect: REA201

    def action() -> None:
        ctx.set("k", 1)  # expect: REA201

    await ctx.run_typed("e", action)
    key = ctx.key()
    await ctx.run_typed("f", lambda: key.upper())
    await ctx.run_typed("g", pure, RunOptions(), 3)
