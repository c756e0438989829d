"""REA208 from types: the run's action is a call whose result is no callable."""

from typing import Callable

import restate
from restate import Context

svc = restate.Service("actions")


async def fetch(url: str) -> str:
    return url


def total(n: int) -> int:
    return n


def factory(n: int) -> Callable[[], int]:
    return lambda: n


class Job:
    def __call__(self) -> str:
        return "done"


def deliver_id(awakeable_id):  # unannotated (mypy gives its calls Any): its returns tell
    if not awakeable_id:
        return ""
    return "123"


def untyped_factory(n):
    return lambda: n


def untyped_passthrough(value):
    return value


@svc.handler()
async def start(ctx: Context, url: str) -> None:
    await ctx.run_typed("fetch", fetch(url))  # type: ignore[arg-type]  # expect: REA208
    await ctx.run("total", total(3))  # type: ignore[arg-type]  # expect: REA208
    await ctx.run_typed("fetch", fetch, url=url)  # the function and its argument
    await ctx.run("made", factory(3))  # a factory's callable
    await ctx.run("job", Job())  # a callable instance
    await ctx.run("trigger", deliver_id(url))  # expect: REA208
    await ctx.run("made untyped", untyped_factory(3))  # a lambda, returned
    await ctx.run("given", untyped_passthrough(Job()))  # whatever it was given: not known

# rea_runtime's run helpers and saga steps: see fixtures/rea208_action_called_not_passed.py
# (these cases also run under dmypy from a directory where rea_runtime is not importable)
