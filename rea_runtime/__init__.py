"""rea_runtime: Restate services whose handlers enforce the rea catalog while they run.

Swap `restate.Service/VirtualObject/Workflow` for `rea_runtime.Service/VirtualObject/Workflow`
(or put `@rea_runtime.guarded` under `@svc.handler()`): a violation becomes an immediate,
precise failure (`strict`), a warning (`warn`, the default) or nothing (`disabled`).
Never imports flake8, libcst or mypy (the linter's dependencies).
"""

from . import deterministic
from .context import GuardedContext
from .policy import Policy, configure, current_policy
from .run import run, run_typed
from .serde import TypeAdapterSerde
from .services import Service, VirtualObject, Workflow, guarded
from .state import State

__all__ = [
    "Service",
    "VirtualObject",
    "Workflow",
    "guarded",
    "configure",
    "current_policy",
    "Policy",
    "GuardedContext",
    "State",
    "TypeAdapterSerde",
    "run",
    "run_typed",
    "deterministic",
]
