import uuid
from uuid import uuid4 as new_id

from restate import WorkflowContext


async def run(ctx: WorkflowContext) -> str:
    a = uuid.uuid4()  # expect: REA103
    b = new_id()  # expect: REA103
    c = uuid.uuid1()  # expect: REA103
    d = uuid.uuid5(uuid.NAMESPACE_DNS, "x")
    e = ctx.uuid()
    return f"{a}{b}{c}{d}{e}"
