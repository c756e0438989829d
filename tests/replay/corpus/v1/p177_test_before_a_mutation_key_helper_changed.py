"""Computed on purpose: a test on a value read from state (`if task["status"] == "done":
return`), the value changed after the test (`task["status"] = "done"`), and v2 changes the
helper that computes the key (for the input "ann" another key, a 570 at the read for the
invocations that had made it). rea cannot tell the key, so unknown; but the test reads the value
the journal recorded. rea read the later mutation as changing what the test reads, and said
breaking along the test (biswaszin/restate-taskqueue-demo 5ecc3976)."""

import restate

# input: "ann"

svc = restate.VirtualObject("P177_test_before_a_mutation_key_helper_changed")


def task_key(name: str) -> str:
    return "task"


@svc.handler()
async def go(ctx: restate.ObjectContext, name: str) -> str:
    first, resumed = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: first)
    await resumed  # park 1
    task = await ctx.get(task_key(name)) or {"status": "new"}
    if task["status"] == "done":
        return "already"
    task["status"] = "done"
    ctx.set(task_key(name), task)
    second, resumed_again = ctx.awakeable(type_hint=str)
    await ctx.run_typed("publish", lambda: second)
    await resumed_again  # park 2
    return name
