"""`rea_runtime.testing`: real-server tests for Restate services, without Docker.

As a pytest plugin (entry point ``pytest11``) it provides:

- ``restate_harness`` (session): starts restate-server lazily, one per option set
  (``always_replay``, ``disable_retries``), and deploys apps onto it;
- ``restate_env`` (module): deploys the module's ``restate_app`` fixture (options from an
  optional ``restate_options`` fixture) and hands tests a :class:`Deployment`.

Outside pytest, :class:`Harness` is a context manager doing the same.
"""

import importlib
from typing import Any

_EXPORTS = {
    "Deployment": "harness",
    "Harness": "harness",
    "RestateServer": "server",
    "ServerError": "server",
    "find_server_binary": "server",
    "RESTATE_SERVER_VERSION": "server",
}


def __getattr__(name: str) -> Any:
    """Lazy: the plugin (a submodule) must import without the runtime extra installed."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rea_runtime.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["Deployment", "Harness", "RestateServer", "ServerError", "find_server_binary", "RESTATE_SERVER_VERSION"]
