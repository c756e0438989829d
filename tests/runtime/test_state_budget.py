"""State-size budgets: every `State.set` is measured; above the budget the policy applies."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import structlog
from prometheus_client import REGISTRY
from restate.exceptions import TerminalError

import rea_runtime
from rea_runtime import State, policy


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
