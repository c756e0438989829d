"""`rea_runtime.testing`: real-server tests for Restate services, without Docker.

As a pytest plugin (entry point ``pytest11``) it provides:

- ``restate_harness`` (session): starts restate-server lazily, one per option set
  (``always_replay``, ``disable_retries``), and deploys apps onto it;
- ``restate_env`` (module): deploys the module's ``restate_app`` fixture (options from an
  optional ``restate_options`` fixture) and hands tests a :class:`Deployment`.

Outside pytest, :class:`Harness` is a context manager doing the same.
"""

from .harness import Deployment, Harness
from .server import RESTATE_SERVER_VERSION, RestateServer, ServerError, find_server_binary

__all__ = ["Deployment", "Harness", "RestateServer", "ServerError", "find_server_binary", "RESTATE_SERVER_VERSION"]
