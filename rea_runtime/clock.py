"""Hooks for `datetime.now/utcnow/today` (REA101), which are C classmethods and cannot be patched.

Instead, the names a handler module bound to `datetime.datetime` / `datetime.date` (or the
`datetime` module itself) are pointed at subclasses whose clock classmethods are guarded.
The subclasses construct and recognise plain datetimes (a metaclass makes `isinstance`
accept the originals, and `__new__` returns original-type objects), and tell pydantic to treat
them as the originals, so models and serde see no difference.
"""

from __future__ import annotations

import datetime as _dt
import functools
import sys
import types
from typing import Any

__all__ = ["guarded_date_types"]


def _make(orig: type, methods: tuple[str, ...], prefix: str) -> type:
    from .guards import CURRENT, IN_RUN, report, user_frame

    class _Meta(type):
        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, orig)

        def __subclasscheck__(cls, sub: type) -> bool:
            return issubclass(sub, orig)

    ns: dict[str, Any] = {"__module__": orig.__module__, "__qualname__": orig.__qualname__}

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
        return orig(*args, **kwargs)

    ns["__new__"] = __new__

    def _schema(cls: type, source: Any, handler: Any) -> Any:
        return handler.generate_schema(orig)

    ns["__get_pydantic_core_schema__"] = classmethod(_schema)

    for name in methods:
        orig_method = getattr(orig, name)
        subject = f"{prefix}.{name}()"

        def make(orig_method: Any = orig_method, subject: str = subject) -> Any:
            @functools.wraps(orig_method)
            def method(cls: type, *args: Any, **kwargs: Any) -> Any:
                inv = CURRENT.get()
                if inv is not None and inv.active and IN_RUN.get() is None:
                    frame = user_frame(sys._getframe(1), walk=False)
                    if frame is not None:
                        report(inv, "REA101", subject, frame)
                return orig_method(*args, **kwargs)

            return classmethod(method)

        ns[name] = make()
    return _Meta(orig.__name__, (orig,), ns)


@functools.lru_cache(maxsize=1)
def guarded_date_types() -> dict[Any, Any]:
    """original -> guarded, for `datetime.datetime`, `datetime.date` and the module."""
    gdt = _make(_dt.datetime, ("now", "utcnow", "today"), "datetime.datetime")
    gdate = _make(_dt.date, ("today",), "datetime.date")
    module = types.ModuleType("datetime", _dt.__doc__)
    module.__dict__.update({k: v for k, v in vars(_dt).items() if k not in ("__name__", "__doc__")})
    module.datetime = gdt  # type: ignore[attr-defined]
    module.date = gdate  # type: ignore[attr-defined]
    return {_dt.datetime: gdt, _dt.date: gdate, _dt: module}
