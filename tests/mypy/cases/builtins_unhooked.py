"""Builtins no rule names get no hook once the module's pass has run (`mypy_plugin.inert`):
the builtins the rules do name, and a decorator that calls a builtin, are still judged."""

import os
import types

from restate import Context, ObjectSharedContext

helpers = types.SimpleNamespace(passthrough=lambda fn: fn)


async def plain(ctx: Context, items: list[str]) -> str:
    text = ", ".join(items).strip().upper()
    size = max(len(text), min(3, len(items)))
    items.append(str(size))
    copied = dict(os.environ)  # expect: REA109
    keys = sorted(os.environ)  # expect: REA109
    with open("/tmp/x") as fh:  # expect: REA108
        first = fh.readline()  # expect: REA108
    return f"{text}{copied}{keys}{first}"


@getattr(helpers, "passthrough")
async def decorated(ctx: ObjectSharedContext) -> None:
    ctx.set("k", len("v"))  # type: ignore[attr-defined]  # expect: REA202
