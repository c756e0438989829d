"""Fully-qualified names of what each call rule forbids, as mypy resolves them.

mypy names a callable by where it is defined (`asyncio.gather` is `asyncio.tasks.gather`),
so both the public and the defining names are listed; a call matches if any of the names
mypy gives it (the hook's name, the definition's name, an alias's target) is here.
"""

from __future__ import annotations

from rea_lint.tables import COPIERS, IO_CALLS, IO_FACTORIES, PATH_IO_METHODS

__all__ = [
    "CALLS", "PREFIXES", "CLASS_BASES", "IO_RECEIVERS", "ASYNCIO_COMBINATORS", "ENV_RECEIVER", "ENV_COPIERS",
    "ENV_NAMES", "UNTYPED_IO_FACTORIES",
]

_TIME = ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
         "process_time", "process_time_ns", "thread_time", "thread_time_ns")
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

ASYNCIO_COMBINATORS = frozenset(
    f"asyncio.{mod}{name}"
    for name in ("gather", "wait", "wait_for", "as_completed", "create_task", "ensure_future", "shield")
    for mod in ("", "tasks.")
) | {"asyncio.timeout", "asyncio.timeouts.timeout", "asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup"}

CALLS: dict[str, frozenset[str]] = {
    "REA101": frozenset(
        [f"time.{n}" for n in _TIME]
        + ["datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today"]
        # the event loop's clock: mypy knows a loop by its type, wherever it was obtained
        + ["asyncio.events.AbstractEventLoop.time", "asyncio.base_events.BaseEventLoop.time"]
    ),
    "REA102": frozenset(
        [f"secrets.{n}" for n in ("token_bytes", "token_hex", "token_urlsafe", "choice", "randbelow", "randbits")]
        + ["os.urandom", "posix.urandom", "random.SystemRandom"]
    ),
    "REA103": frozenset({"uuid.uuid1", "uuid.uuid4"}),
    "REA105": frozenset({"time.sleep", "asyncio.sleep", "asyncio.tasks.sleep"}),
    "REA106": ASYNCIO_COMBINATORS,
    "REA108": frozenset(
        ["builtins.open", "io.open", "_io.open", "os.open", "urllib.request.urlopen",
         "socket.socket", "socket.create_connection", "os.system", "os.popen",
         "requests.Session", "requests.sessions.Session", "aiohttp.ClientSession", "aiohttp.client.ClientSession",
         "httpx.Client", "httpx.AsyncClient", "httpx._client.Client", "httpx._client.AsyncClient",
         "httpx.stream", "httpx._api.stream", "_sqlite3.connect", "sqlite3.dbapi2.connect"]
        + [f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")]
        + [f"pathlib.{c}.{m}" for c in ("Path", "PosixPath", "WindowsPath", "_local.Path") for m in PATH_IO_METHODS]
        + [f"requests.{v}" for v in _HTTP_VERBS] + [f"requests.api.{v}" for v in _HTTP_VERBS]
        + [f"httpx.{v}" for v in _HTTP_VERBS] + [f"httpx._api.{v}" for v in _HTTP_VERBS]
    ) | IO_CALLS,  # the linter's list by its public names; the lines above add mypy's defining names
    "REA109": frozenset({"os.getenv", "os.environ"}),
    "REA110": frozenset(
        {"asyncio.to_thread", "asyncio.threads.to_thread",
         "asyncio.events.AbstractEventLoop.run_in_executor", "asyncio.base_events.BaseEventLoop.run_in_executor",
         "threading.Thread", "threading.Timer"}
    ),
}

PREFIXES: dict[str, tuple[str, ...]] = {
    # `random.<fn>()`; an unseeded `random.Random()` is handled apart (see rules.calls).
    "REA102": ("random.", "numpy.random."),
    "REA110": ("multiprocessing.",),
}
"""Rules that forbid a whole module's functions."""

CLASS_BASES: dict[str, frozenset[str]] = {
    "REA110": frozenset({"threading.Thread", "concurrent.futures._base.Executor", "multiprocessing.process.BaseProcess"}),
}
"""Constructing any subclass of these is the finding (a user's `class Worker(Thread)` too)."""

IO_RECEIVERS = frozenset(
    {
        "httpx._client.Client", "httpx._client.AsyncClient", "requests.sessions.Session",
        "aiohttp.client.ClientSession", "socket.socket", "subprocess.Popen",
        "_io.TextIOWrapper", "_io.BufferedReader", "_io.BufferedWriter", "_io.BufferedRandom",
        "_io.FileIO", "io.TextIOWrapper", "io.BufferedReader", "io.BufferedWriter", "io.FileIO",
        "typing.IO", "typing.TextIO", "typing.BinaryIO",
        "sqlite3.Connection", "sqlite3.Cursor", "sqlite3.dbapi2.Connection", "sqlite3.dbapi2.Cursor",
        "smtplib.SMTP", "ftplib.FTP",
    }
)
"""Types whose methods are I/O when the object is bound at module level or made in handler code."""

IN_MEMORY_IO = frozenset({"io.StringIO", "_io.StringIO", "io.BytesIO", "_io.BytesIO"})
"""File-like types that do no I/O: their methods are never REA108."""

PURE_FUNCTIONS = frozenset(
    {"multiprocessing.cpu_count", "multiprocessing.context.BaseContext.cpu_count", "multiprocessing.current_process",
     "random.seed", "random.getstate", "random.setstate"}
)
"""Functions of a forbidden module that start nothing and draw nothing (as the linter judges)."""

UNTYPED_IO_FACTORIES = IO_FACTORIES
"""Calls whose result's methods are I/O, for libraries mypy has no types for (see `untyped`)."""

ENV_COPIERS = frozenset(f"builtins.{name}" for name in COPIERS)
"""`dict(os.environ)`: a constructor that copies the environment reads it."""
ENV_NAMES = frozenset({"os.environ", "os.environb"})

ENV_RECEIVER = "os._Environ"
"""`os.environ`'s type: its `__getitem__`, `get`, `__contains__`, `copy` are environment reads."""
