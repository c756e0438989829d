"""A run name imported from another module, then set again by this module: the handler runs
after the module did, so it journals this module's `"charge"`, not `names85.CHARGE`. v2
writes `"charge"` in place (restatedev/docs-restate 4137afd978 dropped such an import)."""

import restate

svc = restate.Service("P85_import_shadowed_by_constant")


@svc.handler()
async def go(ctx: restate.Context, arg: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    a = await ctx.run_typed("charge", lambda: "a")
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    b = await ctx.run_typed("b", lambda: "b")
    return a + b
