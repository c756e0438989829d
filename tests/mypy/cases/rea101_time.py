import datetime as dt
import time
from datetime import date, datetime
from time import perf_counter as pc

import restate
from restate import Context, ObjectContext

import clock_util
from clock_util import monotonic, now

svc = restate.Service("clock")


@svc.handler()
async def stamp(ctx: Context, name: str) -> float:
    a = time.time()  # expect: REA101
    b = datetime.now()  # expect: REA101
    c = dt.datetime.utcnow()  # expect: REA101
    d = date.today()  # expect: REA101
    e = pc()  # expect: REA101
    f = now()  # expect: REA101
    g = clock_util.now()  # expect: REA101
    h = monotonic()  # expect: REA101
    ok = await ctx.time()
    ok2 = await ctx.run_typed("t", time.time)
    ok3 = await ctx.run_typed("t", lambda: datetime.now().isoformat())

    def action() -> float:
        return time.time()

    ok4 = await ctx.run_typed("t", action)
    ok5 = clock_util.stamp()  # transitive findings are the linter's
    time.strftime("%Y")
    return a + e + h + ok + ok2 + ok4 + ok5 + b.timestamp() + c.timestamp() + d.day + f.day + g.day + len(ok3)


def helper(ctx: ObjectContext) -> float:
    return time.time_ns() + 0.0  # expect: REA101


def plain() -> float:
    return time.time()


T0 = time.time()


async def loop_clock(ctx: Context) -> float:
    import asyncio

    loop = asyncio.get_running_loop()
    return loop.time() + time.process_time()  # expect: REA101
