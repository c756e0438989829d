"""The guarded context refuses an argument the SDK can never take with a `TerminalError` naming
it and the fix. Handed on, the SDK (or its VM) raised a plain `TypeError`/`AttributeError`/
`OverflowError` inside the handler, which Restate retried forever: each case below was seen
retried on a real server before the guard refused it. What the SDK does take, however odd,
is left to it (`test_what_the_sdk_takes_still_works`)."""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import Any, Awaitable, Callable
from uuid import UUID

import pytest
import restate

import rea_runtime

from ._terminal import terminal_failure


def fetch() -> int:
    return 1


class Text(str):
    """A str subclass: the SDK's VM takes it as text."""


class Span(timedelta):
    """A timedelta subclass (pandas' Timedelta is one): the SDK takes it."""


async def _now(*results: Any) -> Any:
    """What calls made in a lambda give: each future awaited in turn (`ctx.set` gives none)."""
    for result in results:
        if inspect.isawaitable(result):
            await result
    return None


box = rea_runtime.VirtualObject("ContextArguments")

BAD: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "run_int": lambda ctx: ctx.run(123, fetch),
    "run_none": lambda ctx: ctx.run(None, fetch),
    "run_swapped": lambda ctx: ctx.run(fetch, "fetch"),
    "run_typed_int": lambda ctx: ctx.run_typed(123, fetch),
    "get_int": lambda ctx: ctx.get(123),
    "get_none": lambda ctx: ctx.get(None),
    "set_uuid": lambda ctx: _now(ctx.set(UUID(int=7), 1)),
    "clear_int": lambda ctx: _now(ctx.clear(5)),
    "sleep_int": lambda ctx: ctx.sleep(5),
    "sleep_float": lambda ctx: ctx.sleep(0.5),
    "sleep_none": lambda ctx: ctx.sleep(delta=None),
    "sleep_negative": lambda ctx: ctx.sleep(timedelta(seconds=-1)),
    "sleep_name_int": lambda ctx: ctx.sleep(timedelta(0), name=5),
}

GOOD: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "run_empty_name": lambda ctx: ctx.run("", fetch),
    "run_str_subclass": lambda ctx: ctx.run(Text("fetch"), fetch),
    "state_str_subclass": lambda ctx: _now(ctx.set(Text("n"), 1), ctx.get(Text("n")), ctx.clear(Text("n"))),
    "sleep_forms": lambda ctx: _now(ctx.sleep(Span(milliseconds=1)), ctx.sleep(delta=timedelta(0)),
                                    ctx.sleep(timedelta(microseconds=10), name=Text("nap"))),
}


@box.handler()
async def bad(ctx: restate.ObjectContext, case: str) -> Any:
    return await BAD[case](ctx)


unguarded = rea_runtime.VirtualObject("ContextArgumentsDisabled", policy="disabled")


@unguarded.handler(name="bad")
async def bad_disabled(ctx: restate.ObjectContext, case: str) -> Any:
    return await BAD[case](ctx)


@box.handler()
async def good(ctx: restate.ObjectContext, case: str) -> Any:
    return await GOOD[case](ctx)


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return rea_runtime.app([box, unguarded])


REFUSED = [
    ("run_int", "ctx.run: the run name is int 123; fix: a non-empty str naming the run (it labels the journal "
                "entry), e.g. ctx.run('fetch', fetch)"),
    ("run_none", "ctx.run: the run name is NoneType None; fix: a non-empty str naming the run"),
    ("run_swapped", "ctx.run: the run name is function fetch; fix: the name comes first: ctx.run('fetch', fetch)"),
    ("run_typed_int", "ctx.run_typed: the run name is int 123; fix: a non-empty str naming the run (it labels the "
                      "journal entry), e.g. ctx.run_typed('fetch', fetch)"),
    ("get_int", "ctx.get: the state key is int 123; fix: a str naming the entry, e.g. ctx.get('count') (str(...) "
                "of the int, if it is the name)"),
    ("get_none", "ctx.get: the state key is NoneType None; fix: a str naming the entry, e.g. ctx.get('count')"),
    ("set_uuid", "ctx.set: the state key is UUID UUID('00000000-0000-0000-0000-000000000007'); fix: a str naming "
                 "the entry, e.g. ctx.set('count', value) (str(...) of the UUID, if it is the name)"),
    ("clear_int", "ctx.clear: the state key is int 5; fix: a str naming the entry, e.g. ctx.clear('count')"),
    ("sleep_int", "ctx.sleep: the duration is int 5; fix: a datetime.timedelta, e.g. "
                  "ctx.sleep(timedelta(seconds=5)) (a bare number has no unit)"),
    ("sleep_float", "ctx.sleep: the duration is float 0.5; fix: a datetime.timedelta, e.g. "
                    "ctx.sleep(timedelta(seconds=0.5))"),
    ("sleep_none", "ctx.sleep: the duration is NoneType None; fix: a datetime.timedelta, e.g. "
                   "ctx.sleep(timedelta(seconds=30))"),
    ("sleep_negative", "ctx.sleep: the duration is -0:00:01; fix: timedelta(0) or more (for a deadline that may "
                       "have passed: max(delta, timedelta(0)))"),
    ("sleep_name_int", "ctx.sleep: the name is int 5; fix: a str labelling the sleep in the journal, or None"),
]
"""(case of BAD, what the invocation fails with)."""


@pytest.mark.parametrize("case,message", REFUSED, ids=[case for case, _ in REFUSED])
async def test_an_argument_the_sdk_never_takes_fails_the_invocation_terminally(restate_env, case: str,
                                                                               message: str) -> None:
    failure = await terminal_failure(restate_env, "ContextArguments", "bad", case, key=restate_env.unique())
    assert message in failure, failure


def test_every_refusal_is_proved() -> None:
    assert sorted(case for case, _ in REFUSED) == sorted(BAD)


async def test_also_when_the_policy_is_disabled(restate_env) -> None:
    """No rule: no policy makes the call work, and the SDK's error was retried forever."""
    failure = await terminal_failure(restate_env, "ContextArgumentsDisabled", "bad", "run_int",
                                     key=restate_env.unique())
    assert "ctx.run: the run name is int 123; fix:" in failure, failure


@pytest.mark.parametrize("case", sorted(GOOD))
async def test_what_the_sdk_takes_still_works(restate_env, case: str) -> None:
    resp = await restate_env.call("ContextArguments", "good", case, key=restate_env.unique())
    assert resp.status_code == 200, resp.text
