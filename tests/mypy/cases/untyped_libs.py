"""Libraries mypy has no types for here (not installed): judged by the names they were imported under."""
import time

import numpy as np
import requests
from aiohttp import ClientSession
from requests import post

import restate
from restate import Context, ObjectSharedContext

svc = restate.Service("untyped")
counter = restate.VirtualObject("untyped_counter")
SESSION = requests.Session()


@svc.handler()
async def fetch(ctx: Context, url: str) -> None:
    requests.get(url)  # expect: REA108
    post(url)  # expect: REA108
    np.random.rand()  # expect: REA102
    SESSION.get(url)  # expect: REA108
    s = requests.Session()  # expect: REA108
    s.get(url)  # expect: REA108
    async with ClientSession() as session:  # expect: REA108
        await session.get(url)  # expect: REA108
    requests.utils.quote(url)  # a pure helper: no I/O
    np.array([1, 2])  # numpy outside numpy.random is deterministic
    await ctx.run_typed("fetch", lambda: requests.get(url).text)  # inside a run action: fine


def not_handler_code(url: str) -> None:
    requests.get(url)  # no context here: not handler code


@counter.handler(kind="shared")
async def peek(ctx) -> None:  # type: ignore[no-untyped-def]
    ctx.set("seen", True)  # expect: REA202


@counter.handler()
async def bump(ctx) -> None:  # type: ignore[no-untyped-def]
    ctx.set("n", 1)  # exclusive: may write


async def typed_helper(ctx: ObjectSharedContext) -> None:
    other = ctx
    print(other)


@svc.handler()
async def unannotated(ctx, url):  # type: ignore[no-untyped-def]
    started = time.time()  # expect: REA101
    requests.get(url)  # expect: REA108
    await ctx.run_typed("stamp", lambda: time.time())  # inside a run action: fine
    return started
