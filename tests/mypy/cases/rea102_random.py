import os
import random
import secrets
from random import randint as ri

from restate import Context


async def handler(ctx: Context) -> None:
    random.random()  # expect: REA102
    ri(1, 6)  # expect: REA102
    random.Random()  # expect: REA102
    random.SystemRandom()  # expect: REA102
    secrets.token_hex(8)  # expect: REA102
    os.urandom(4)  # expect: REA102
    random.Random(42).random()
    secrets.compare_digest("a", "b")
    ctx.random().random()
