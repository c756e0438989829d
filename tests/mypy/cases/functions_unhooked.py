"""Top-level functions no rule names get no hook once the module's pass has run
(`mypy_plugin.inert`), as builtins do: the functions the rules name, a module-level alias
of one, and a decorator that is a plain function are still judged."""

import random
import textwrap
import time
import uuid
from datetime import datetime

from restate import Context, ObjectSharedContext

now = datetime.now


def shout(text: str) -> str:
    return textwrap.dedent(text).upper()


def passthrough(fn):  # type: ignore[no-untyped-def]
    return fn


async def plain(ctx: Context, text: str) -> str:
    loud = shout(textwrap.indent(text, "  "))  # plain functions, here and in a library: no finding
    started = time.time()  # expect: REA101
    stamp = now()  # expect: REA101
    pick = random.choice(["a", "b"])  # expect: REA102
    ident = uuid.uuid4()  # expect: REA103
    return f"{loud}{started}{stamp}{pick}{ident}"


@passthrough
async def decorated(ctx: ObjectSharedContext) -> None:
    ctx.set("k", shout("v"))  # type: ignore[attr-defined]  # expect: REA202
