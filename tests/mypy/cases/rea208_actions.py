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


@svc.handler()
async def start(ctx: Context, url: str) -> None:
    await ctx.run_typed("fetch", fetch(url))  # type: ignore[arg-type]  # expect: REA208
    await ctx.run("total", total(3))  # type: ignore[arg-type]  # expect: REA208
    await ctx.run_typed("fetch", fetch, url=url)  # the function and its argument
    await ctx.run("made", factory(3))  # a factory's callable
    await ctx.run("job", Job())  # a callable instance

# rea_runtime's run helpers and saga steps: see fixtures/rea208_action_called_not_passed.py
# (these cases also run under dmypy from a directory where rea_runtime is not importable)
