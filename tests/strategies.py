"""Hypothesis strategies for Restate-shaped modules: handlers of every kind whose bodies mix
the replay mistakes the rules look for with correct code, nested blocks, helpers and lambdas.

hypothesmith generates any Python (tests/test_bad_input.py) but almost never a handler; this
generates code where every rule, and every fix, has work to do.
"""

from __future__ import annotations

import textwrap

from hypothesis import strategies as st

__all__ = ["restate_modules"]

HEAD = """\
import asyncio
import datetime
import os
import random
import time
import uuid
from datetime import timedelta

import restate
from restate import Context, ObjectContext, ObjectSharedContext, WorkflowContext

svc = restate.Service("svc")
obj = restate.VirtualObject("obj")
wf = restate.Workflow("wf")
CACHE = {}


async def other(ctx: Context, x: int) -> int:
    return x


"""

KINDS = [
    ("@svc.handler()", "Context"),
    ("@obj.handler()", "ObjectContext"),
    ('@obj.handler(kind="shared")', "ObjectSharedContext"),
    ("@wf.main()", "WorkflowContext"),
    ("@wf.handler()", "WorkflowSharedContext"),
]

STATEMENTS = [
    "x = time.time()",
    "x = time.monotonic() + 1",
    "r = random.random()",
    "r = random.choice([1, 2, 3])",
    "u = str(uuid.uuid4())",
    "now = datetime.datetime.now()",
    "t = await {ctx}.time()",
    "v = await {ctx}.run('step', lambda: time.time())",
    "v = await {ctx}.run('step', lambda: {ctx}.key())",
    "v = await {ctx}.run_typed('step', random.random)",
    "{ctx}.set('k', 1)",
    "{ctx}.clear('k')",
    "v = await {ctx}.get('k')",
    "{ctx}.get('k')",
    "await asyncio.sleep(1)",
    "await {ctx}.sleep(timedelta(seconds=1))",
    "await asyncio.gather(other({ctx}, 1), other({ctx}, 2))",
    "for k in {{1, 2, 3}}:\n    {ctx}.set(str(k), k)",
    "for k in set(CACHE):\n    pass",
    "e = os.environ['X']",
    "e = os.getenv('X')",
    "CACHE['k'] = 1",
    "try:\n    await {ctx}.get('k')\nexcept Exception:\n    pass",
    "try:\n    v = await {ctx}.run('s', lambda: 1)\nexcept BaseException as err:\n    raise err",
    "def helper():\n    return time.time()\nh = helper()",
    "async def inner(c: Context):\n    return await c.get('k')\nawait inner({ctx})",
    "await {ctx}.service_call(other, 1, idempotency_key=str(uuid.uuid4()))",
    "await {ctx}.service_call(other, 1, idempotency_key=str({ctx}.uuid()))",
    "await {ctx}.object_call(other, key='k', arg=1)",
    "p = {ctx}.promise('p')",
    "fn = lambda: time.time()",
    "with open('f') as fh:\n    data = fh.read()",
    "print(time.time())",
    "restate.getLogger().info('x %s', time.time())",
    "return None",
    "pass",
]

_block: st.SearchStrategy[str] = st.deferred(
    lambda: st.lists(
        st.one_of(
            st.sampled_from(STATEMENTS),
            st.builds(lambda b: "if x:\n" + textwrap.indent(b, "    "), _block),
            st.builds(lambda b: "while False:\n" + textwrap.indent(b, "    "), _block),
            st.builds(lambda b: "async with asyncio.timeout(1):\n" + textwrap.indent(b, "    "), _block),
        ),
        min_size=1,
        max_size=5,
    ).map("\n".join)
)


@st.composite
def _handler(draw: st.DrawFn, index: int) -> str:
    decorator, ctx_type = draw(st.sampled_from(KINDS))
    ctx = draw(st.sampled_from(["ctx", "context", "c"]))
    annotated = draw(st.booleans())
    body = draw(_block).replace("{ctx}", ctx).replace("{{", "{").replace("}}", "}")
    param = f"{ctx}: {ctx_type}" if annotated else ctx
    return f"{decorator}\nasync def handler_{index}({param}, x: int = 0):\n{textwrap.indent(body, '    ')}\n"


@st.composite
def restate_modules(draw: st.DrawFn) -> str:
    """A module of 1-4 generated handlers (always valid Python)."""
    n = draw(st.integers(1, 4))
    return HEAD + "\n\n".join(draw(_handler(i)) for i in range(n))
