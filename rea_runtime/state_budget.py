"""State-size budgets: measure what `State.set` writes, record it, report it above the budget.

An object's state is loaded with every invocation of its key (eager state) and kept for the
object's lifetime, so state that grows without bound slows every call. The size of each write
is recorded in the `rea_state_size_bytes` gauge (labels: service, state); above the budget
(`State(..., budget_bytes=)`, else the service preset's `state_budget_bytes`) it is reported
under the policy's default level: `strict` fails the invocation, `warn` logs once.
"""

from __future__ import annotations

import structlog
from prometheus_client import Gauge
from restate.exceptions import TerminalError

from .policy import current_policy

__all__ = ["STATE_SIZE", "budget_for", "measure"]

STATE_SIZE = Gauge(
    "rea_state_size_bytes", "Serialized size of the last write of a State entry.", ("service", "state")
)

_warned: set[tuple[str, str]] = set()


def budget_for(service: str, own: int | None) -> int | None:
    if own is not None:
        return own
    from .services import SERVICE_PRESETS

    preset = SERVICE_PRESETS.get(service)
    return preset.state_budget_bytes if preset is not None else None


def measure(service: str, state: str, size: int, budget: int | None, policy_level: str | None = None) -> None:
    """Record ``size``; apply the policy when it exceeds ``budget``."""
    STATE_SIZE.labels(service, state).set(size)
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
