"""A serde from a pydantic `TypeAdapter`: any annotation, validated both ways.

The SDK's default serde handles a bare model, but returns raw dicts for `list[Model]`,
`Optional[Model]` and `dict[str, Model]`, and cannot serialize a list of models at all.
"""

from __future__ import annotations

from typing import Any, Generic, Optional, TypeVar

from pydantic import TypeAdapter
from restate.serde import Serde

T = TypeVar("T")

__all__ = ["TypeAdapterSerde"]


class TypeAdapterSerde(Serde[T], Generic[T]):
    def __init__(self, tp: Any) -> None:
        self.tp = tp
        self.adapter: TypeAdapter[T] = TypeAdapter(tp)

    def deserialize(self, buf: bytes) -> Optional[T]:
        if not buf:
            return None
        return self.adapter.validate_json(buf)

    def serialize(self, obj: Optional[T]) -> bytes:
        return self.adapter.dump_json(obj)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"TypeAdapterSerde({self.tp!r})"
