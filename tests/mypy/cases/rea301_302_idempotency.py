import asyncio
import time
import uuid

from restate import Context, ObjectContext


async def target(ctx: Context, arg: str) -> None: ...


async def h(ctx: ObjectContext, order_id: str) -> None:
    await ctx.service_call(target, arg="a", idempotency_key=str(ctx.uuid()))  # expect: REA301
    await ctx.service_call(target, arg="a", idempotency_key=f"refund-{ctx.uuid()}")  # expect: REA301
    ctx.service_send(target, arg="a", idempotency_key=f"{ctx.random().random()}")  # expect: REA301
    await ctx.service_call(target, arg="a", idempotency_key=f"refund-{order_id}")
    await ctx.service_call(target, arg="a", idempotency_key=ctx.key())
    await ctx.service_call(target, arg="a", idempotency_key=f"{ctx.key()}-{ctx.uuid()}")
    await ctx.service_call(target, arg="a", idempotency_key=f"k-{time.time()}")  # expect: REA101, REA302
    ctx.service_send(target, arg="a", idempotency_key=str(uuid.uuid4()))  # expect: REA103, REA302


async def through_locals(ctx: ObjectContext, order_id: str) -> None:
    key = f"refund-{ctx.uuid()}"
    await ctx.service_call(target, arg="a", idempotency_key=key)  # expect: REA301
    stamp = f"{order_id}-{time.time()}"  # expect: REA101
    ctx.service_send(target, arg="a", idempotency_key=stamp)  # expect: REA302
    twice = f"refund-{ctx.uuid()}"
    twice = f"refund-{order_id}"  # bound twice: which one reaches the call is not a name's to say
    await ctx.service_call(target, arg="a", idempotency_key=twice)
    for looped in (f"a-{ctx.uuid()}",):
        await ctx.service_call(target, arg="a", idempotency_key=looped)


async def event_loop_clock(ctx: ObjectContext) -> None:
    loop = asyncio.get_running_loop()
    await ctx.service_call(target, arg="a", idempotency_key=str(loop.time()))  # expect: REA101, REA302
    await ctx.service_call(target, arg="a", idempotency_key=f"{asyncio.get_running_loop().time()}")  # expect: REA101, REA302
