"""REA103 uuid-in-handler: uuid1/uuid4 in handler code make a new id on every replay."""

from __future__ import annotations

from rea_lint.rules.base import CallRule

_HEADER = "import restate, uuid\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"


class UuidInHandler(CallRule):
    transitive = True
    code = "REA103"
    targets = frozenset({"uuid.uuid1", "uuid.uuid4"})
    invalid = (
        _HEADER + "    await ctx.service_call(other, str(uuid.uuid4()))\n",
        "import restate\nfrom uuid import uuid1\nasync def h(ctx: restate.ObjectContext):\n    ctx.set('id', uuid1().hex)\n",
    )
    valid = (
        _HEADER + "    return str(ctx.uuid())\n",
        _HEADER + "    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'x'))\n",
        _HEADER + "    return await ctx.run_typed('id', lambda: str(uuid.uuid4()))\n",
    )
