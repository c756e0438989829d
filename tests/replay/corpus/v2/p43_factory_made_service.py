"""A service made by a factory function (dependency injection): a run inserted between the
two suspension points of a handler defined inside the factory."""

import restate


def make_service(prefix: str) -> restate.Service:
    svc = restate.Service("P43_factory_made_service")

    @svc.handler()
    async def go(ctx: restate.Context, arg: str) -> str:
        a = await ctx.run_typed("a", lambda: prefix)
        first, resumed = ctx.awakeable(type_hint=str)
        await ctx.run_typed("publish", lambda: first)
        await resumed  # park 1
        await ctx.run_typed("audit", lambda: "x")
        b = await ctx.run_typed("b", lambda: "b")
        second, resumed_again = ctx.awakeable(type_hint=str)
        await ctx.run_typed("publish", lambda: second)
        await resumed_again  # park 2
        c = await ctx.run_typed("c", lambda: "c")
        return a + b + c

    return svc


service = make_service("a")
