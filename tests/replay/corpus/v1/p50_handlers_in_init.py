"""Handlers a class's `__init__` defines on the service objects it keeps (`self.svc = ...`):
an object call's key changed, as in p23."""

import restate


class _Runtime:
    def __init__(self) -> None:
        self.svc = restate.Service("P50_handlers_in_init")
        self.counter = restate.VirtualObject("P50_handlers_in_initCounter")

        @self.svc.handler()
        async def go(ctx: restate.Context, arg: str) -> str:
            a = await ctx.run_typed("a", lambda: "a")
            first, resumed = ctx.awakeable(type_hint=str)
            await ctx.run_typed("publish", lambda: first)
            await resumed  # park 1
            b = str(await ctx.object_call(bump, key="left", arg=1))
            second, resumed_again = ctx.awakeable(type_hint=str)
            await ctx.run_typed("publish", lambda: second)
            await resumed_again  # park 2
            c = await ctx.run_typed("c", lambda: "c")
            return a + b + c

        @self.counter.handler()
        async def bump(ctx: restate.ObjectContext, by: int) -> int:
            value = (await ctx.get("n", type_hint=int) or 0) + by
            ctx.set("n", value)
            return value


_runtime = _Runtime()
svc, counter = _runtime.svc, _runtime.counter
