"""rea_runtime: Restate services whose handlers enforce the rea catalog while they run.

Swap `restate.Service/VirtualObject/Workflow` for `rea_runtime.Service/VirtualObject/Workflow`
(or put `@rea_runtime.guarded` under `@svc.handler()`): a violation becomes an immediate,
precise failure (`strict`), a warning (`warn`, the default) or nothing (`disabled`).
Never imports flake8, libcst or mypy (the linter's dependencies).
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# Lazy attributes (PEP 562): the pytest plugin entry point imports this package in every
# pytest run of an environment that has rea installed, even one without the runtime extra.
_EXPORTS = {
    "Service": "services",
    "VirtualObject": "services",
    "Workflow": "services",
    "guarded": "services",
    "configure": "policy",
    "current_policy": "policy",
    "Policy": "policy",
    "GuardedContext": "context",
    "State": "state",
    "Saga": "saga",
    "TypeAdapterSerde": "serde",
    "run": "run",
    "run_typed": "run",
    "app": "validation",
    "DefinitionError": "validation",
    "ConfigurationError": "presets",
    "Preset": "presets",
    "preset": "presets",
    "presets": None,
    "deterministic": None,
    "saga": None,
    "workflow": None,
    "concurrency": None,
    "guards": None,
}

__all__ = [name for name in _EXPORTS if name != "guards"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rea_runtime' has no attribute {name!r}")
    module = _EXPORTS[name]
    if module is None:
        value: Any = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Importing the submodule `rea_runtime.run` (as `saga` does) must not rebind the exported
    `run` function to that module: the import system does ``setattr(package, "run", module)``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and isinstance(_EXPORTS.get(name), str):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # pragma: no cover
    from . import concurrency, deterministic, guards, saga, workflow
    from .context import GuardedContext
    from .policy import Policy, configure, current_policy
    from .run import run, run_typed
    from .saga import Saga
    from .serde import TypeAdapterSerde
    from .services import Service, VirtualObject, Workflow, guarded
    from .state import State
    from . import presets
    from .presets import ConfigurationError, Preset, preset
    from .validation import DefinitionError, app
