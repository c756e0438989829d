"""Classes of any module that no rule names get no hook once the module's pass has run
(`mypy_plugin.inert`), called or with a method of theirs called, as builtins do: a class a rule
judges (a thread, a random source, a file) and a subclass of one are still judged."""

import hashlib
import random
import threading
from datetime import timedelta

from restate import Context, RunOptions, Service
from restate.exceptions import TerminalError

greeter = Service("greeter")


class Repo:
    def save(self, key: str) -> str:
        return key


class Worker(threading.Thread):
    pass


@greeter.handler()
async def plain(ctx: Context, name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()
    options: RunOptions[str] = RunOptions(max_attempts=3)
    delay = timedelta(seconds=1)
    await ctx.sleep(delay)
    saved = Repo().save(name)
    for letter in iter(name):
        saved += letter
    if not name:
        raise TerminalError("no name")
    pick = random.Random().randint(1, 6)  # expect: REA102
    Worker().start()  # expect: REA110
    with open("/tmp/x") as fh:  # expect: REA108
        first = fh.readline()  # expect: REA108
    return f"{digest}{options}{delay}{saved}{pick}{first}"
