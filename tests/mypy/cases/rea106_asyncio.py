import asyncio

import restate
from restate import Context, RestateDurableFuture


async def fan_out(ctx: Context) -> None:
    a = ctx.service_call(fan_out, arg=None)  # type: ignore[arg-type]
    b = ctx.sleep(__import__("datetime").timedelta(seconds=1))
    await asyncio.gather(a, b)  # expect: REA106
    await asyncio.wait_for(a, 1)  # expect: REA106
    asyncio.create_task(fan_in(a))  # expect: REA106
    await restate.gather(a, b)


async def fan_in(f: RestateDurableFuture[None]) -> None:
    await asyncio.gather(f)  # expect: REA106


async def unrelated() -> None:
    await asyncio.gather(asyncio.sleep(1))
