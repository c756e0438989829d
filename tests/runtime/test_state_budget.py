"""State-size budgets: every `State.set` is measured; above the budget the policy applies."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pydantic
import pytest
import structlog
from prometheus_client import REGISTRY
from restate.exceptions import TerminalError
from restate.serde import DefaultSerde

import rea_runtime
from rea_runtime import State, policy
from rea_runtime.context import GuardedContext
from rea_runtime.guards import Invocation


class FakeCtx:
    """Just enough of an exclusive object context: the handler's service and `set`."""

    def __init__(self, service: str) -> None:
        self.handler = SimpleNamespace(kind="exclusive", service_tag=SimpleNamespace(name=service))
        self.written: dict[str, bytes] = {}

    def set(self, name: str, value: bytes, serde) -> None:  # noqa: ANN001
        self.written[name] = serde.serialize(value)


@pytest.fixture(autouse=True)
def _reset_policy():
    yield
    policy.reset()


def _gauge(service: str, state: str) -> float | None:
    return REGISTRY.get_sample_value("rea_state_size_bytes", {"service": service, "state": state})


def test_size_is_recorded_per_key_and_written_once() -> None:
    items = State("items", list[int], budget_bytes=1000)
    ctx = FakeCtx("BudgetSvc")
    items.set(ctx, [1, 2, 3])  # type: ignore[arg-type]
    assert ctx.written["items"] == b"[1,2,3]"
    assert _gauge("BudgetSvc", "items") == 7


def test_over_budget_strict_fails_with_the_fix() -> None:
    rea_runtime.configure(policy="strict")
    blob = State("blob", str, budget_bytes=10)
    ctx = FakeCtx("BudgetStrict")
    with pytest.raises(TerminalError, match="'blob' of BudgetStrict is 22 bytes, over its budget of 10.*fix:"):
        blob.set(ctx, "x" * 20)  # type: ignore[arg-type]
    assert "blob" not in ctx.written


def test_over_budget_warn_logs_once_and_writes() -> None:
    rea_runtime.configure(policy="warn")
    blob = State("blob", str, budget_bytes=10)
    ctx = FakeCtx("BudgetWarn")
    with structlog.testing.capture_logs() as logs:
        blob.set(ctx, "x" * 20)  # type: ignore[arg-type]
        blob.set(ctx, "x" * 30)  # type: ignore[arg-type]
    assert len(logs) == 1 and logs[0]["size"] == 22 and ctx.written["blob"]


def test_budget_comes_from_the_service_preset() -> None:
    rea_runtime.configure(policy="strict")
    rea_runtime.VirtualObject("BudgetPreset", preset=rea_runtime.preset("high-volume", state_budget_bytes=16))
    blob = State("blob", str)
    with pytest.raises(TerminalError, match="budget of 16"):
        blob.set(FakeCtx("BudgetPreset"), "y" * 20)  # type: ignore[arg-type]
    blob.set(FakeCtx("NoPreset"), "y" * 20)  # type: ignore[arg-type]  # no preset, no budget


class SdkSetCtx(FakeCtx):
    """`set` as the SDK's: its default serde typed by the value, then serialized."""

    def set(self, name: str, value, serde=DefaultSerde(), entry_name=None) -> None:  # noqa: ANN001
        if isinstance(serde, DefaultSerde):
            serde = serde.with_maybe_type(type(value))
        self.written[name] = serde.serialize(value)


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Model(pydantic.BaseModel):
    name: str


class Tagged(dict):
    pass


def test_a_measured_ctx_set_writes_the_bytes_the_sdk_writes() -> None:
    """Plain JSON values take a shortcut past the SDK's serde (json.dumps, as its serde ends up
    doing): every kind of value, nested or odd, is written byte for byte as the SDK writes it."""
    rea_runtime.configure(policy="warn")
    rea_runtime.VirtualObject("BudgetBytes", preset=rea_runtime.preset("high-volume"))
    values = [{}, [], "", 0, 0.0, True, False, -7, 2**70, 1e-300, float("nan"), float("inf"), "caf\u00e9 \u2603 \"q\"\n",
              "\U0001f600", {"a": [1, 2.5, None, {"b": [True]}], "\u00e9": "x"}, [[[]]], {"1": 1, "2": [2]},
              [1, "two", 3.0, None, False], None, (1, 2), Point(1, 2.5), Model(name="n"), Tagged(a=1), {"k": (1, 2)}]
    sdk = SdkSetCtx("BudgetBytes")
    expected = SdkSetCtx("BudgetBytes")
    ctx = GuardedContext(sdk, Invocation(sdk, "exclusive", None, "h"))
    for i, value in enumerate(values):
        ctx.set(f"v{i}", value)
        expected.set(f"v{i}", value)
    assert sdk.written == expected.written and len(sdk.written) == len(values) == 24
    assert _gauge("BudgetBytes", "v0") == 2 and _gauge("BudgetBytes", "v16") == len(expected.written["v16"])


def test_a_value_the_sdk_cannot_serialize_fails_terminally_unwritten() -> None:
    """Measured or not, the value is refused as the SDK's own `set` would fail on it (see
    `test_unwritable.py`), and nothing is written."""
    rea_runtime.VirtualObject("BudgetBad", preset=rea_runtime.preset("high-volume"))
    sdk = SdkSetCtx("BudgetBad")
    ctx = GuardedContext(sdk, Invocation(sdk, "exclusive", None, "h"))
    with pytest.raises(TerminalError) as caught:
        ctx.set("bad", {"s": {1, 2}})
    assert caught.value.message.startswith("ctx.set('bad', ...) (at ")
    assert ": the value (dict) holds set {1, 2} at value['s'], which its serde cannot write (TypeError: Object of " \
           "type set is not JSON serializable); not retried: every retry would replay the handler and fail the same " \
           "way; fix: pass a list: sorted(...) of the set" in caught.value.message
    assert sdk.written == {}
