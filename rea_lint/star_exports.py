"""What `from restate import *` (and `from rea_runtime import *`) binds, without importing them.

rea_lint never imports restate-sdk, so the names are listed here: restate-sdk's
`restate.__all__` and rea_runtime's. A test compares them with the installed packages, so
an SDK upgrade that changes the list fails the suite instead of silently missing names.
The standard library modules the rules name (`STDLIB_STAR`) are asked instead: `from time
import *` binds what `time` exports in the Python rea runs on, read from the module itself
(they import nothing of the project and have no import side effects). Star imports from any
other module bind names rea cannot know; those names stay unresolved (rules stay silent
rather than guess).
"""

from __future__ import annotations

import functools
import importlib

__all__ = ["STAR_EXPORTS", "STDLIB_STAR", "star_names"]

RESTATE = (
    "Service", "VirtualObject", "Workflow", "Context", "ObjectContext", "ObjectSharedContext",
    "WorkflowContext", "WorkflowSharedContext", "DurablePromise", "RestateDurableFuture",
    "RestateDurableCallFuture", "RestateDurableSleepFuture", "SendHandle", "ScopedContext",
    "RunOptions", "TerminalError", "JournalValueCodec", "JournalValueCodecProvider", "app",
    "connect", "with_connection", "ConnectError", "create_test_harness", "test_harness",
    "HarnessEnvironment", "gather", "as_completed", "wait_completed", "select", "logging",
    "RestateLoggingFilter", "InvocationRetryPolicy", "SdkInternalBaseException",
    "is_internal_exception", "getLogger", "RestateClient", "RestateClientSendHandle",
    "HttpError", "create_client",
)  # fmt: skip
"""`restate.__all__` of restate-sdk 1.3.0."""

REA_RUNTIME = (
    "Service", "VirtualObject", "Workflow", "guarded", "configure", "current_policy", "Policy",
    "GuardedContext", "State", "Saga", "TypeAdapterSerde", "run", "run_typed", "app",
    "DefinitionError", "ConfigurationError", "Preset", "preset", "presets", "deterministic",
    "saga", "workflow", "concurrency",
)  # fmt: skip
"""`rea_runtime.__all__`."""

STAR_EXPORTS: dict[str, tuple[str, ...]] = {"restate": RESTATE, "rea_runtime": REA_RUNTIME}
"""Module -> the names `from <module> import *` binds."""

STDLIB_STAR = frozenset({
    "time", "random", "secrets", "uuid", "datetime", "os", "asyncio", "subprocess", "socket", "threading",
    "multiprocessing", "concurrent.futures", "urllib.request", "io", "pathlib", "logging", "sqlite3",
    "smtplib", "ftplib", "shutil", "signal",
})  # fmt: skip
"""The standard library modules whose calls the rules name (clocks, randomness, uuids, sleeps,
I/O, threads, the environment): a star import of one is read from the module."""


def star_names(module: str) -> tuple[str, ...]:
    """The names `from <module> import *` binds, where rea can know them; () elsewhere."""
    known = STAR_EXPORTS.get(module)
    if known is not None:
        return known
    return _stdlib_star(module) if module in STDLIB_STAR else ()


@functools.lru_cache(maxsize=None)
def _stdlib_star(module: str) -> tuple[str, ...]:
    """What Python's own `import *` takes: `__all__`, else every name without a leading underscore."""
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    return tuple(n for n in names if isinstance(n, str))
