import asyncio
import time
from datetime import timedelta

from restate import Context


async def wait(ctx: Context) -> None:
    time.sleep(1)  # expect: REA105
    await asyncio.sleep(1)  # expect: REA105
    await ctx.sleep(timedelta(seconds=1))
    await ctx.run_typed("nap", time.sleep, restate_options(), 1)


def restate_options():  # type: ignore[no-untyped-def]
    import restate

    return restate.RunOptions()
