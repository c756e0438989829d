import restate
from restate import Context, ObjectContext, ObjectSharedContext, WorkflowContext, WorkflowSharedContext

svc = restate.Service("svc")
obj = restate.VirtualObject("obj")
wf = restate.Workflow("wf")
same_obj = obj


class Audited(ObjectContext):
    pass


@svc.handler()
async def s_ok(ctx: Context) -> None: ...


@svc.handler()
async def s_bad(ctx: ObjectContext) -> None: ...  # expect: REA203


@obj.handler()
async def o_ok(ctx: ObjectContext) -> None: ...


@obj.handler()
async def o_sub(ctx: Audited) -> None: ...


@obj.handler()
async def o_bad(ctx: Context) -> None: ...  # expect: REA203


@same_obj.handler(kind="shared")
async def o_shared_bad(ctx: ObjectContext) -> None: ...  # expect: REA203


@obj.handler(kind="shared")
async def o_shared_ok(ctx: ObjectSharedContext) -> None: ...


@wf.main()
async def w_main(ctx: WorkflowContext) -> None: ...


@wf.main()
async def w_main_bad(ctx: WorkflowSharedContext) -> None: ...  # expect: REA203


@wf.handler()
async def w_sig(ctx: WorkflowSharedContext) -> None: ...


@wf.handler()
async def w_sig_bad(ctx: WorkflowContext) -> None: ...  # expect: REA203


@obj.handler()
async def untyped(ctx, req) -> None: ...  # type: ignore[no-untyped-def]
