"""`rea_runtime.run/run_typed` check their retry options at the call, as a `TerminalError` that
names the option and the fix: the SDK hands them to its VM only once the action fails, and a bad
one there left the invocation `running` with nothing logged (`max_attempts="3"`, a negative
`max_duration`) or quietly made one attempt (`max_attempts=0`)."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import pytest
import restate
from restate import RunOptions

import rea_runtime

from ._terminal import terminal_failure


@pytest.mark.parametrize("kwargs,message", [
    ({"max_attempts": 0}, "max_attempts is 0; fix: a whole number of attempts from 1 to 4294967295 (1: no retry), "
                          "or None (the invocation's retry policy)"),
    ({"max_attempts": 2**32}, "max_attempts is 4294967296; fix: a whole number of attempts from 1 to 4294967295"),
    ({"max_attempts": "3"}, "max_attempts is str '3'; fix: a whole number of attempts"),
    ({"max_attempts": math.nan}, "max_attempts is float nan; fix:"),
    ({"max_attempts": True}, "max_attempts is bool True; fix:"),
    ({"max_duration": timedelta(seconds=-1)}, "max_duration is -0:00:01; fix: at least timedelta(milliseconds=1) "
                                              "(Restate counts whole milliseconds), or None"),
    ({"max_duration": 30}, "max_duration is int 30; fix: a datetime.timedelta, e.g. "
                           "max_duration=timedelta(seconds=30) (a bare number has no unit)"),
    ({"options": {"max_attempts": 3}}, "options is dict {'max_attempts': 3}; fix: options=restate.RunOptions(...), "
                                       "or max_attempts= / max_duration= directly"),
    ({"options": RunOptions(max_attempts="3")}, "max_attempts is str '3'; fix:"),  # type: ignore[arg-type]
    ({"options": RunOptions(initial_retry_interval=timedelta(seconds=-1))},
     "initial_retry_interval is -0:00:01; fix: 0 or more, or None"),
    ({"options": RunOptions(max_retry_interval=1.5)},  # type: ignore[arg-type]
     "max_retry_interval is float 1.5; fix: a datetime.timedelta"),
    ({"options": RunOptions(retry_interval_factor=math.nan)}, "retry_interval_factor is nan; fix: a finite number "
                                                               ">= 1"),
    ({"options": RunOptions(serde="json")}, "serde is str 'json'; fix: a restate.serde.Serde, e.g. "  # type: ignore[arg-type]
                                            "restate.serde.JsonSerde()"),
])
@pytest.mark.parametrize("helper", ["run", "run_typed"])
def test_bad_retry_options_are_refused_at_the_call(helper: str, kwargs: dict, message: str) -> None:
    with pytest.raises(restate.TerminalError, match=f"^{re.escape(f'run {chr(39)}fetch{chr(39)}: {message}')}"):
        getattr(rea_runtime, helper)(object(), "fetch", lambda: 1, **kwargs)


def fetch() -> int:
    return 1


@pytest.mark.parametrize("name,action,message", [
    (123, fetch, "the run name is int 123; fix: a non-empty str naming the run (it labels the journal entry), "
                 "e.g. {helper}(ctx, 'fetch', fetch)"),
    (None, fetch, "the run name is NoneType None; fix: a non-empty str naming the run"),
    ("  ", fetch, "the run name is str '  '; fix: a non-empty str naming the run"),
    (fetch, "fetch", "the run name is function fetch; fix: the name comes first: {helper}(ctx, 'fetch', fetch)"),
])
@pytest.mark.parametrize("helper", ["run", "run_typed"])
def test_a_run_name_that_is_no_text_is_terminal_and_names_the_fix(helper: str, name: Any, action: Any,
                                                                   message: str) -> None:
    """A plain TypeError here would be retried by Restate forever: the same code fails the same way."""
    expected = f"rea_runtime.{helper}: " + message.format(helper=f"rea_runtime.{helper}")
    with pytest.raises(restate.TerminalError, match=f"^{re.escape(expected)}"):
        getattr(rea_runtime, helper)(object(), name, action)


# -- in a handler: terminal at once instead of a hang, on a real server ----------------------

ATTEMPTS: dict[str, int] = {}


def flaky(key: str) -> str:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    raise RuntimeError("transient")


runs = rea_runtime.VirtualObject("RunArguments")


@runs.handler()
async def call(ctx: restate.ObjectContext, how: str) -> str:
    key = ctx.key()
    options: dict[str, Any] = {
        "zero": {"max_attempts": 0},
        "text": {"max_attempts": "3"},
        "negative": {"max_duration": timedelta(seconds=-1)},
        "dict": {"options": {"max_attempts": 3}},
        "deprecated_bound": {"options": RunOptions(max_retry_duration=timedelta(milliseconds=300))},
    }[how]
    return await rea_runtime.run(ctx, "flaky", lambda: flaky(key), **options)


@runs.handler()
async def misnamed(ctx: restate.ObjectContext, how: str) -> str:
    key = ctx.key()
    if how == "run":
        return await rea_runtime.run(ctx, 123, lambda: flaky(key))  # type: ignore[arg-type]
    return await rea_runtime.run_typed(ctx, None, flaky, key)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return rea_runtime.app([runs])


@pytest.mark.parametrize("handler,how,message", [
    ("call", "zero", "run 'flaky': max_attempts is 0; fix: a whole number of attempts from 1 to 4294967295"),
    ("call", "text", "run 'flaky': max_attempts is str '3'; fix: a whole number of attempts"),
    ("call", "negative", "run 'flaky': max_duration is -0:00:01; fix: at least timedelta(milliseconds=1)"),
    ("call", "dict", "run 'flaky': options is dict {'max_attempts': 3}; fix: options=restate.RunOptions(...)"),
    ("misnamed", "run", "rea_runtime.run: the run name is int 123; fix: a non-empty str naming the run"),
    ("misnamed", "run_typed", "rea_runtime.run_typed: the run name is NoneType None; fix: a non-empty str naming the run"),
])
async def test_bad_arguments_fail_the_invocation_terminally(restate_env, handler: str, how: str, message: str) -> None:
    """Bad options and run names: no retry fixes code, so the invocation ends at once."""
    key = restate_env.unique()
    failure = await terminal_failure(restate_env, "RunArguments", handler, how, key=key)
    assert message in failure, failure
    assert key not in ATTEMPTS  # refused before the action ran


async def test_the_sdks_deprecated_duration_bounds_the_retries(restate_env) -> None:
    """`RunOptions(max_retry_duration=...)`: the SDK's `run_typed` ignores its own deprecated name and
    retried the run for good; the helper takes it as `max_duration`, the bound the code asks for."""
    key = restate_env.unique()
    inv = await restate_env.send("RunArguments", "call", "deprecated_bound", key)
    try:  # (backing-off between the attempts the bound allows)
        row = await restate_env.wait_for(inv, lambda r: r["status"] == "completed", timeout=30)
    except AssertionError:  # retried for good: killed, so that it does not retry for the rest of the session
        restate_env.kill(inv)
        raise
    assert row["completion_result"] == "failure" and "transient" in str(row["completion_failure"]), row
    assert ATTEMPTS[key] >= 2  # retried within the bound, then failed for good


def test_both_durations_must_agree() -> None:
    with pytest.raises(restate.TerminalError, match=re.escape(
            "run 'fetch': max_duration is 0:00:01 and max_retry_duration (its deprecated name) is 0:00:02; fix: "
            "max_duration alone")):
        rea_runtime.run(object(), "fetch", lambda: 1, options=RunOptions(max_duration=timedelta(seconds=1),
                                                                         max_retry_duration=timedelta(seconds=2)))
