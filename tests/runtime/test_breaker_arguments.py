"""`CircuitBreaker(...)` checks every argument where it is built, with one line naming it and
the fix: a bad one used to fail inside `run`, after the action ran, with an error Restate
retries forever (a NaN threshold), or to quietly never open (a cool-down under 1 ms)."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import pytest
import restate

import rea_runtime
from rea_runtime.breaker import BreakerConfigError, CircuitBreaker, breaker_object
from rea_runtime.presets import ConfigurationError

from ._terminal import terminal_failure


@pytest.mark.parametrize("kwargs,message", [
    ({"failure_threshold": math.nan}, "failure_threshold is nan; fix: a whole number, 1 or more"),
    ({"failure_threshold": math.inf}, "failure_threshold is inf; fix: a whole number, 1 or more"),
    ({"failure_threshold": "5"}, "failure_threshold is '5'; fix: a whole number, 1 or more"),
    ({"failure_threshold": 2.5}, "failure_threshold is 2.5"),
    ({"failure_threshold": None}, "failure_threshold is None"),
    ({"failure_threshold": 0}, "failure_threshold is 0"),
    ({"max_attempts": math.nan}, "max_attempts is nan; fix: a whole number, 1 or more"),
    ({"run_attempts": math.nan}, "run_attempts is nan"),
    ({"run_attempts": True}, "run_attempts is True"),
    ({"shards": 2.5}, "shards is 2.5"),
    ({"cooldown": 30}, "cooldown is int 30; fix: a datetime.timedelta, e.g. cooldown=timedelta(seconds=30)"),
    ({"cooldown": timedelta(0)}, "cooldown is 0:00:00; fix: at least timedelta(milliseconds=1)"),
    ({"cooldown": timedelta(microseconds=500)}, "cooldown is 0:00:00.000500; fix: at least "
                                                "timedelta(milliseconds=1): the breaker counts whole milliseconds"),
    ({"retry_interval": 0.1}, "retry_interval is float 0.1; fix: a datetime.timedelta, e.g. "
                              "retry_interval=timedelta(milliseconds=100)"),
    ({"retry_interval": timedelta(microseconds=10)}, "retry_interval is 0:00:00.000010; fix: at least"),
    ({"retry_interval": timedelta(seconds=-1)}, "retry_interval is -0:00:01; fix: at least"),
    ({"on_open": "loud"}, "on_open is 'loud'; fix: 'terminal' or 'retryable'"),
])
def test_every_argument_is_checked_at_construction(kwargs: dict, message: str) -> None:
    with pytest.raises(BreakerConfigError, match=f"^{re.escape(f'CircuitBreaker({chr(39)}d{chr(39)}): {message}')}"):
        CircuitBreaker("d", **kwargs)


@pytest.mark.parametrize("dependency,message", [
    (5, "CircuitBreaker(5): dependency is int 5; fix: a non-empty str"),
    ("", "CircuitBreaker(''): dependency is str ''; fix: a non-empty str"),
    ("d~0", "CircuitBreaker('d~0'): the name ends like a shard key ('<dependency>~<n>': the keys of 'd' with "
            "shards > 1), so two breakers could share one state; fix: a name that does not end in '~' and digits, "
            "e.g. 'd-0'"),
    ("api~v2~12", "the keys of 'api~v2' with shards > 1"),
])
def test_a_dependency_name_is_text_that_no_shard_key_can_equal(dependency: Any, message: str) -> None:
    with pytest.raises(BreakerConfigError, match=re.escape(message)):
        CircuitBreaker(dependency)


def test_keys_keep_their_format() -> None:
    """Unsharded keys never end in '~<digits>', shard keys always do: no two breakers share one,
    and the keys of breakers already in use (their stored state) are unchanged."""
    assert CircuitBreaker("d", shards=2).keys == ["d~0", "d~1"]
    assert CircuitBreaker("api~v2").keys == ["api~v2"]
    assert CircuitBreaker("api~v2", shards=2).keys == ["api~v2~0", "api~v2~1"]
    assert CircuitBreaker("d", cooldown=timedelta(milliseconds=1))._cooldown_ms == 1


def test_the_error_is_a_configuration_error_and_terminal() -> None:
    """At import a ConfigurationError like the presets'; in a handler a TerminalError (no retries)."""
    with pytest.raises(ConfigurationError) as info:
        CircuitBreaker("d", failure_threshold=0)
    assert isinstance(info.value, restate.TerminalError) and info.value.message == str(info.value)


# -- built inside a handler: terminal at once, on a real server ------------------------------

CALLS: list[str] = []


def dependency(dep: str) -> str:
    CALLS.append(dep)
    return "fine"


callers = rea_runtime.Service("BreakerArguments")


@callers.handler()
async def nan_threshold(ctx: restate.Context, dep: str) -> str:
    return await CircuitBreaker(dep, failure_threshold=float("nan")).run(ctx, "call", dependency, dep)


@callers.handler()
async def cooldown_in_seconds(ctx: restate.Context, dep: str) -> str:
    breaker = CircuitBreaker(dep, cooldown=30)  # type: ignore[arg-type]
    return await breaker.run(ctx, "call", dependency, dep)


@callers.handler()
async def misnamed_run(ctx: restate.Context, dep: str) -> str:
    return await CircuitBreaker(dep).run(ctx, 5, dependency, dep)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return rea_runtime.app([callers, breaker_object])


@pytest.mark.parametrize("handler,message", [
    ("nan_threshold", "failure_threshold is nan; fix: a whole number, 1 or more"),
    ("cooldown_in_seconds", "cooldown is int 30; fix: a datetime.timedelta"),
    ("misnamed_run", "CircuitBreaker('{dep}').run: the run name is int 5; fix: a non-empty str naming the run (it "
                     "labels the journal entry), e.g. CircuitBreaker('{dep}').run(ctx, 'dependency', dependency)"),
])
async def test_a_bad_breaker_in_a_handler_fails_it_terminally(restate_env, handler: str, message: str) -> None:
    dep = restate_env.unique("dep")
    failure = await terminal_failure(restate_env, "BreakerArguments", handler, dep)
    assert message.format(dep=dep) in failure, failure
    assert dep not in CALLS  # refused before the dependency was called
