"""State-size budgets: measure every state write, record it, report it above the budget.

An object's state is loaded with every invocation of its key (eager state) and kept for the
object's lifetime, so state that grows without bound slows every call. The size of each write
(`State.set`, and `ctx.set` through the guarded context) is recorded in the
`rea_state_size_bytes` gauge (labels: service, state); above the budget (`State(...,
budget_bytes=)`, else the service preset's `state_budget_bytes`) it is reported under the
policy's default level: `strict` fails the invocation before the write, `warn` logs once.

With the preset's `state_total_budget_bytes`, the total of all entries of the key is measured
too (`rea_state_total_bytes`, label: service): the handler reads the size of each entry when it
starts (`state_keys` + one `get` per entry: with eager state these are answered locally, but
they are journal entries, so turning the total budget on or off changes the journal of new
invocations), keeps the sizes up to date on every write and clear, and checks the total
before each write.
"""

from __future__ import annotations

import json
from typing import Any

import structlog

from prometheus_client import Gauge
from restate.exceptions import TerminalError
from restate.serde import DefaultSerde, Serde

from .policy import current_policy

__all__ = ["RAW", "STATE_SIZE", "STATE_TOTAL", "RawBytes", "budget_for", "budgets", "measure", "set_measured",
           "load_sizes"]

STATE_SIZE = Gauge(
    "rea_state_size_bytes", "Serialized size of the last write of a State entry.", ("service", "state")
)
STATE_TOTAL = Gauge(
    "rea_state_total_bytes", "Serialized size of all state of the key last written.", ("service",)
)

_warned: set[tuple[str, str]] = set()

def _child(gauge: Gauge, *labels: str) -> Any:
    """``gauge.labels(*labels)``: the child the gauge already holds for these label values
    (`labels()` checks, stringifies and locks on every call, which cost more than the rest of a
    measured write), else `labels()` makes it. The gauge's own table decides, so a child removed
    (`remove`/`clear`) is never reused."""
    child = getattr(gauge, "_metrics", _NO_CHILDREN).get(labels)
    return child if child is not None else gauge.labels(*labels)


_NO_CHILDREN: dict[tuple[str, ...], Any] = {}


def budget_for(service: str, own: int | None) -> int | None:
    if own is not None:
        return own
    preset = _preset(service)
    return preset.state_budget_bytes if preset is not None else None


def measure(service: str, state: str, size: int, budget: int | None, policy_level: str | None = None) -> None:
    """Record ``size``; apply the policy when it exceeds ``budget``."""
    _child(STATE_SIZE, service, state).set(size)
    if budget is None or size <= budget:
        return
    level = policy_level or current_policy().default
    if level == "disabled":
        return
    message = (
        f"state {state!r} of {service} is {size} bytes, over its budget of {budget} bytes: it is loaded "
        f"with every invocation of the key; fix: keep large data elsewhere (a database, an object per "
        f"item) and store a reference, or raise the budget (State(..., budget_bytes=) / preset state_budget_bytes)"
    )
    if level == "strict":
        raise TerminalError(message, status_code=500)
    if (service, state) not in _warned:
        _warned.add((service, state))
        structlog.get_logger("rea_runtime").warning(message, service=service, state=state, size=size, budget=budget)


class RawBytes(Serde[bytes]):
    """Bytes as they are: read an entry's stored bytes to measure them, or write bytes already
    serialized (and measured) without serializing them again."""

    def serialize(self, obj: Any) -> bytes:
        return obj or b""

    def deserialize(self, buf: bytes) -> bytes:
        return buf


RAW = RawBytes()
_BYTES = RAW


def _service(sdk_ctx: Any) -> str:
    return getattr(getattr(getattr(sdk_ctx, "handler", None), "service_tag", None), "name", "?")


_PRESETS: dict[str, Any] | None = None
"""`services.SERVICE_PRESETS`, bound on first use (services imports this module): an import
statement in `_preset` ran the import machinery twice per invocation."""


def _preset(service: str) -> Any:
    global _PRESETS
    if _PRESETS is None:
        from .services import SERVICE_PRESETS

        _PRESETS = SERVICE_PRESETS
    return _PRESETS.get(service)


def total_budget(sdk_ctx: Any) -> int | None:
    preset = _preset(_service(sdk_ctx))
    return preset.state_total_budget_bytes if preset is not None else None


def budgets(sdk_ctx: Any) -> tuple[str, int | None, int | None] | None:
    """(service, entry budget, total budget) of the handler's service, or None when its preset
    sets neither: asked once per invocation (the guarded context keeps the answer), so a
    `ctx.set` without budgets costs no lookup and no serialization."""
    service = _service(sdk_ctx)
    preset = _preset(service)
    if preset is None or (preset.state_budget_bytes is None and preset.state_total_budget_bytes is None):
        return None
    return service, preset.state_budget_bytes, preset.state_total_budget_bytes


async def load_sizes(sdk_ctx: Any) -> dict[str, int]:
    """The serialized size of each state entry of this key (read through the SDK context)."""
    sizes: dict[str, int] = {}
    for name in await sdk_ctx.state_keys():
        raw = await sdk_ctx.get(name, serde=_BYTES)
        sizes[name] = len(raw or b"")
    return sizes


def set_measured(sdk_ctx: Any, inv: Any, limits: tuple[str, int | None, int | None], name: str, value: Any,
                 args: tuple, kwargs: dict) -> None:
    """A `ctx.set` through the guarded context under budgets: measured, checked, then written.

    The value is serialized once, to exactly the bytes the SDK's `set` would make (`DefaultSerde`
    takes the value's type), and those bytes are what the SDK writes: measuring costs no second
    serialization. A value the serde cannot serialize fails with the SDK's own error, before
    anything is written."""
    serde = (kwargs.get("serde", args[0] if args else None) if args or kwargs else None)
    if serde is None:
        serde = _DEFAULT
    cls = type(serde)  # (`type() is` first: isinstance on the SDK's abstract serdes is slow)
    if cls is RawBytes:  # State.set: already serialized and measured against its own budget
        size = len(value or b"")
        _check(sdk_ctx, inv, limits, name, size, measured=True)
        sdk_ctx.set(name, value, *args, **kwargs)
        return
    if cls is DefaultSerde:  # the SDK's `set`: `DefaultSerde(type(value))`, then its `serialize`
        tp = type(value)
        if tp in _PLAIN_JSON:
            buf = json.dumps(value).encode("utf-8")  # what that serde's serialize returns for these
        else:  # a value that serde refuses fails here with the SDK's error, unwritten
            typed = _TYPED.get(tp)
            if typed is None:
                typed = _typed_serde(tp)
            buf = typed.serialize(value)
    else:
        if isinstance(serde, DefaultSerde):
            serde = serde.with_maybe_type(type(value))
        buf = serde.serialize(value)
    size = len(buf)
    service, entry_budget, total_budget = limits
    if (entry_budget is None or size <= entry_budget) and (total_budget is None or inv.state_sizes is None):
        child = STATE_SIZE._metrics.get((service, name))  # the usual write: recorded, within its budget
        (child if child is not None else _child(STATE_SIZE, service, name)).set(size)  # type: ignore[union-attr]
    else:
        _check(sdk_ctx, inv, limits, name, size, measured=False)
    if not args and not kwargs:  # (forwarding empty *args/**kwargs costs more than the check)
        sdk_ctx.set(name, buf, RAW)
    elif not kwargs:
        sdk_ctx.set(name, buf, RAW, *args[1:])
    elif "serde" in kwargs:
        sdk_ctx.set(name, buf, *args, **dict(kwargs, serde=RAW))
    else:
        sdk_ctx.set(name, buf, RAW, *args[1:], **kwargs)


_TYPED: dict[type, DefaultSerde[Any]] = {}
"""value type -> the SDK's `DefaultSerde` for it (`with_maybe_type`), made once: it is the same
for every value of the type, and making it costs as much as the rest of a measured write."""
_TYPED_MAX = 1024


def _typed_serde(tp: type) -> DefaultSerde[Any]:
    if len(_TYPED) >= _TYPED_MAX:  # classes made on the fly: stay bounded
        _TYPED.clear()
    typed = _TYPED[tp] = _DEFAULT.with_maybe_type(tp)
    return typed


def _plain_json_types() -> frozenset[type]:
    """The value types whose `DefaultSerde` bytes are plain ``json.dumps(value).encode()``: for
    them the SDK's serde asks msgspec, pydantic and dataclasses in turn, and each says no. Checked
    against the installed SDK once (a version that serializes them otherwise gets no shortcut)."""
    probes: dict[type, Any] = {dict: {"a": [1, 2.5, None, True], "é": "ü\n"}, list: [{"x": 1}, "y", -3],
                               str: "caf\u00e9 \"q\"", int: 12, float: 0.1, bool: False}
    try:
        return frozenset(t for t, v in probes.items()
                         if DefaultSerde().with_maybe_type(t).serialize(v) == json.dumps(v).encode("utf-8"))
    except Exception:  # noqa: BLE001 - an SDK that fails on these: no shortcut, its own path decides
        return frozenset()


_PLAIN_JSON = _plain_json_types()


_DEFAULT: DefaultSerde[Any] = DefaultSerde()


def _check(sdk_ctx: Any, inv: Any, limits: tuple[str, int | None, int | None], name: str, size: int,
           measured: bool) -> None:
    """Per-entry (unless `State.set` ``measured`` it already) and total budgets, before the write."""
    service, entry_budget, budget = limits
    level = (inv.policy or current_policy()).default
    if not measured:
        measure(service, name, size, entry_budget, level)
    if inv.state_sizes is None or budget is None:
        return
    total = sum(v for k, v in inv.state_sizes.items() if k != name) + size
    _child(STATE_TOTAL, service).set(total)
    if total > budget and level != "disabled":
        key = sdk_ctx.key() if hasattr(sdk_ctx, "key") else "?"
        message = (
            f"state of {service} key {key!r} would be {total} bytes after set({name!r}), over its total budget of "
            f"{budget} bytes: all of it is loaded with every invocation of the key; fix: keep large data "
            f"elsewhere and store references, split the data over more keys, or raise state_total_budget_bytes"
        )
        if level == "strict":
            raise TerminalError(message, status_code=500)
        if (service, "<total>") not in _warned:
            _warned.add((service, "<total>"))
            structlog.get_logger("rea_runtime").warning(message, service=service, key=key, total=total, budget=budget)
    inv.state_sizes[name] = size
