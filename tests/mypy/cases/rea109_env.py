import os

from restate import Context

PORT = os.environ.get("PORT")


async def env(ctx: Context) -> str:
    a = os.environ["HOME"]  # expect: REA109
    b = os.environ.get("X")  # expect: REA109
    c = os.getenv("Y")  # expect: REA109
    d = "Z" in os.environ  # expect: REA109
    return f"{a}{b}{c}{d}{PORT}"
