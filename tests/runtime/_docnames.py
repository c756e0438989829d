"""Resolve a dotted name a doc page shows (`rea_runtime.saga.Saga.step`) to the object, or fail."""

from __future__ import annotations

import importlib
from typing import Any


def resolve(dotted: str) -> Any:
    """Import the longest module prefix, then walk attributes (pydantic fields count)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for part in parts[cut:]:
            owner = obj if isinstance(obj, type) else type(obj)  # pydantic 2.11: read fields off the class
            fields = getattr(owner, "model_fields", None)
            if isinstance(fields, dict) and part in fields:
                obj = fields[part]
                continue
            obj = getattr(obj, part)  # AttributeError: the doc names something that does not exist
        return obj
    raise ModuleNotFoundError(dotted)
