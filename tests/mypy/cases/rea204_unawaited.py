from datetime import timedelta

from restate import Context, ObjectContext, WorkflowContext


async def h(ctx: ObjectContext) -> None:
    ctx.sleep(timedelta(seconds=1))  # expect: REA204
    ctx.get("k")  # expect: REA204
    ctx.run_typed("x", lambda: 1)  # expect: REA204
    ctx.service_call(h, arg=None)  # type: ignore[arg-type]  # expect: REA204
    ctx.service_send(h, arg=None)  # type: ignore[arg-type]
    await ctx.sleep(timedelta(seconds=1))
    fut = ctx.get("k")
    await fut
    ctx.set("k", 1)


async def w(ctx: WorkflowContext) -> None:
    ctx.promise("p").value()  # expect: REA204
    ctx.promise("p")  # expect: REA204
    await ctx.promise("p").resolve(1)


async def bound(ctx: WorkflowContext) -> int:
    wake_id, wake = ctx.awakeable()  # expect: REA204
    ctx.set("id", wake_id)
    keys = ctx.state_keys()  # expect: REA204
    handle = ctx.promise("p")
    await handle.resolve(1)
    kept = ctx.get("k")
    got = await kept
    return len(keys) + int(got or 0)


async def tested(ctx: ObjectContext, flag: bool) -> None:
    _wake = ctx.get("k")  # expect: REA204
    fut = ctx.get("k")  # expect: REA204
    if fut:
        pass
    other = ctx.get("j")  # expect: REA204
    while not other and flag:
        flag = False
    assert other
    label = "set" if other else "unset"
    kept = ctx.get("m")
    print(label, await kept if kept and flag else None)
