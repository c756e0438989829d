"""A workflow stores its input model's dump in state (`ctx.set("user", user.model_dump())`, as
restatedev/examples' signup workflow does), and the model gains a field with a default. Replay
decodes the journaled input into the new class, and the dict its dump makes has the new key
too: the state value's bytes differ from those the old code journaled, 570 at the set for the
invocations that had made it."""

from pydantic import BaseModel

import restate

# input: {"name": "a"}
# exact index: the set

svc = restate.Workflow("P104_workflow_input_dump_stored")


class User(BaseModel):
    name: str


@svc.main()
async def run(ctx: restate.WorkflowContext, user: User) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    ctx.set("user", user.model_dump())
    done = await ctx.promise("approval", type_hint=str).value()  # park 2
    return user.name + done


@svc.handler()
async def resolve(ctx: restate.WorkflowSharedContext, name: str) -> None:
    await ctx.promise(name, type_hint=str).resolve("done")
