import socket
import subprocess
import urllib.request
from pathlib import Path

import httpx

from restate import Context

CLIENT = httpx.Client()


async def fetch(ctx: Context, path: Path, client: httpx.AsyncClient) -> str:
    with open("x") as fh:  # expect: REA108
        fh.read()  # expect: REA108
    Path("a").read_text()  # expect: REA108
    path.write_text("x")  # expect: REA108
    httpx.get("https://example.com")  # expect: REA108
    CLIENT.get("https://example.com")  # expect: REA108
    subprocess.run(["ls"])  # expect: REA108
    urllib.request.urlopen("https://example.com")  # expect: REA108
    socket.create_connection(("h", 1))  # expect: REA108
    httpx.Timeout(3)
    subprocess.list2cmdline(["a"])
    await client.get("x")
    return await ctx.run_typed("read", lambda: Path("a").read_text())
