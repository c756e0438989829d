"""REA112 from the typed origin: a context's `time()` is seconds."""

from restate import Context

TTL_MS = 30_000


async def h(ctx: Context, started_ms: int) -> float:
    now_ms = await ctx.time()  # expect: REA112
    then = await ctx.time()  # expect: REA112
    late = then - started_ms
    fine = await ctx.time() * 1000 + TTL_MS  # converted first
    return now_ms + late + fine + (await ctx.time() > TTL_MS)  # expect: REA112
