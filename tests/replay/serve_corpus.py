"""The corpus as one app: every pair's services of one version (`REA_CORPUS=v1` or `v2`).

The agreement test serves v1, parks invocations, then restarts this process as v2 on the same
port (the same deployment URL) and re-registers it, as an in-place deploy would.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

import restate

VERSION = os.environ.get("REA_CORPUS", "v1")
_package = importlib.import_module(f"tests.replay.corpus.{VERSION}")
_services: list[object] = []
for _info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda i: i.name):
    _module = importlib.import_module(f"{_package.__name__}.{_info.name}")
    _services += [v for v in vars(_module).values() if isinstance(v, (restate.Service, restate.VirtualObject, restate.Workflow))]

app = restate.app(_services)
