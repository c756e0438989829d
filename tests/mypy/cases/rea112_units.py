"""REA112 from the typed origin: a context's `time()` is seconds."""

from restate import Context

TTL_MS = 30_000


async def h(ctx: Context, started_ms: int) -> float:
    now_ms = await ctx.time()  # expect: REA112
    then = await ctx.time()  # expect: REA112
    late = then - started_ms
    fine = await ctx.time() * 1000 + TTL_MS  # converted first
    return now_ms + late + fine + (await ctx.time() > TTL_MS)  # expect: REA112


async def accumulate(ctx: Context, elapsed_ms: float, total_ms: float) -> float:
    elapsed_ms += await ctx.time()  # expect: REA112
    t = await ctx.time()  # expect: REA112
    total_ms -= t
    seconds = 0.0
    seconds += await ctx.time()  # seconds on seconds
    total_ms += await ctx.time() * 1000  # converted first
    return elapsed_ms + total_ms + seconds


async def stepped(ctx: Context) -> float:
    now = await ctx.time()  # expect: REA112
    now -= TTL_MS  # stepped in place: the seconds minus milliseconds
    later = await ctx.time()
    later -= 5.0  # the first step is in seconds: what `later` holds after it is not known
    later -= TTL_MS
    before = 0.0
    before += TTL_MS  # a step before the binding
    before = await ctx.time()
    return now + later + before
