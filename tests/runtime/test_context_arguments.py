"""The guarded context refuses an argument the SDK can never take with a `TerminalError` naming
it and the fix. Handed on, the SDK (or its VM) raised a plain `TypeError`/`AttributeError`/
`OverflowError` inside the handler, which Restate retried forever (or, for a run's retry
options, which the SDK hands its VM only once the action failed, left the invocation running for
good, nothing logged): each case below was seen so on a real server before the guard refused
it. What the SDK does take, however odd, is left to it (`test_what_the_sdk_takes_still_works`)."""

from __future__ import annotations

import inspect
from datetime import timedelta
from decimal import Decimal
from typing import Any, Awaitable, Callable, Optional
from uuid import UUID

import pytest
import restate
from restate import RunOptions
from restate.serde import JsonSerde

import rea_runtime

from ._terminal import terminal_failure


def fetch() -> int:
    return 1


class Text(str):
    """A str subclass: the SDK's VM takes it as text."""


class Span(timedelta):
    """A timedelta subclass (pandas' Timedelta is one): the SDK takes it."""


class Two:
    """An int-like (numpy's integers are): the SDK's VM takes it through `__index__`."""

    def __index__(self) -> int:
        return 2


class OptionsAlike:
    """Not a RunOptions, but with every field `ctx.run_typed` reads: the SDK takes it."""

    serde = restate.serde.DefaultSerde()
    type_hint = None
    max_attempts = 2
    max_duration = initial_retry_interval = max_retry_interval = retry_interval_factor = None


RAN: dict[str, int] = {}
"""Object key -> how often a run action of the run option cases ran."""


def failing(ctx: Any) -> Callable[[], int]:
    """A run action that always fails (the SDK reads the retry options only then), counting its
    runs: a refused option stops the run before it starts."""
    key = ctx.key()

    def act() -> int:
        RAN[key] = RAN.get(key, 0) + 1
        raise RuntimeError("transient")

    return act


def failing_once(ctx: Any) -> Callable[..., int]:
    """A run action that fails on its first run only, and takes any keyword: retry options the
    SDK takes are seen to retry it."""
    key = ctx.key()

    def act(**kwargs: Any) -> int:
        RAN[key] = RAN.get(key, 0) + 1
        if RAN[key] == 1:
            raise RuntimeError("transient")
        return 1

    return act


async def _now(*results: Any) -> Any:
    """What calls made in a lambda give: each future awaited in turn (`ctx.set` gives none)."""
    for result in results:
        if inspect.isawaitable(result):
            await result
    return None


box = rea_runtime.VirtualObject("ContextArguments", policy="strict")  # as under CI=true: a rule these cases break fails here too
targets = rea_runtime.Service("ContextArgumentsTarget")
objects = rea_runtime.VirtualObject("ContextArgumentsObject")
flows = rea_runtime.Workflow("ContextArgumentsFlow")


@targets.handler()
async def echo(ctx: restate.Context, text: Optional[str]) -> Optional[str]:
    return text


@objects.handler()
async def keep(ctx: restate.ObjectContext, text: str) -> str:
    return text


@flows.main()
async def flow(ctx: restate.WorkflowContext, text: str) -> str:
    return text


BAD: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "run_int": lambda ctx: ctx.run(123, fetch),
    "run_none": lambda ctx: ctx.run(None, fetch),
    "run_swapped": lambda ctx: ctx.run(fetch, "fetch"),
    "run_typed_int": lambda ctx: ctx.run_typed(123, fetch),
    "get_int": lambda ctx: ctx.get(123),
    "get_none": lambda ctx: ctx.get(None),
    "set_uuid": lambda ctx: _now(ctx.set(UUID(int=7), 1)),
    "clear_int": lambda ctx: _now(ctx.clear(5)),
    "get_int_entry_name": lambda ctx: ctx.get("n", entry_name=5),
    "set_int_entry_name": lambda ctx: _now(ctx.set("n", 1, entry_name=5)),
    "clear_int_entry_name": lambda ctx: _now(ctx.clear("n", 5)),
    "clear_all_int_entry_name": lambda ctx: _now(ctx.clear_all(entry_name=5)),
    "state_keys_int_entry_name": lambda ctx: ctx.state_keys(entry_name=5),
    "sleep_int": lambda ctx: ctx.sleep(5),
    "sleep_float": lambda ctx: ctx.sleep(0.5),
    "sleep_none": lambda ctx: ctx.sleep(delta=None),
    "sleep_negative": lambda ctx: ctx.sleep(timedelta(seconds=-1)),
    "sleep_name_int": lambda ctx: ctx.sleep(timedelta(0), name=5),
    "call_str_target": lambda ctx: ctx.service_call("ContextArgumentsTarget/echo", "x"),
    "call_unregistered": lambda ctx: ctx.service_call(fetch, "x"),
    "call_int_key": lambda ctx: ctx.object_call(keep, 42, "x"),
    "send_uuid_key": lambda ctx: _now(ctx.object_send(keep, key=UUID(int=1), arg="x")),
    "workflow_int_key": lambda ctx: ctx.workflow_call(flow, 7, "x"),
    "generic_int_service": lambda ctx: ctx.generic_call(123, "echo", b'"x"'),
    "generic_int_handler": lambda ctx: ctx.generic_call("ContextArgumentsTarget", handler=5, arg=b'"x"'),
    "generic_str_arg": lambda ctx: ctx.generic_call("ContextArgumentsTarget", "echo", '"x"'),
    "generic_bytearray_arg": lambda ctx: _now(ctx.generic_send("ContextArgumentsTarget", "echo", bytearray(b"1"))),
    "idempotency_key_int": lambda ctx: ctx.service_call(echo, "x", idempotency_key=5),
    "send_delay_int": lambda ctx: _now(ctx.service_send(echo, "x", send_delay=5)),
    "send_delay_negative": lambda ctx: _now(ctx.object_send(keep, "k", "x", send_delay=timedelta(seconds=-1))),
    "headers_list": lambda ctx: ctx.service_call(echo, "x", headers=[("x-a", "b")]),
    "headers_int_value": lambda ctx: ctx.service_call(echo, "x", headers={"x-n": 1}),
    "scope_int": lambda ctx: ctx.scope(123).service_call(echo, "x"),
    "limit_key_int": lambda ctx: ctx.scope("s").service_call(echo, "x", limit_key=5),
    "awakeable_int_id": lambda ctx: _now(ctx.resolve_awakeable(123, "v")),
    "awakeable_int_message": lambda ctx: _now(ctx.reject_awakeable(ctx.awakeable()[0], 500)),
    "awakeable_str_code": lambda ctx: _now(ctx.reject_awakeable(ctx.awakeable()[0], "no", "500")),
    "awakeable_big_code": lambda ctx: _now(ctx.reject_awakeable(ctx.awakeable()[0], "no", failure_code=70000)),
    "cancel_none": lambda ctx: _now(ctx.cancel_invocation(None)),
    "attach_int": lambda ctx: ctx.attach_invocation(123),
    "signal_int": lambda ctx: ctx.signal(5),
    "resolve_signal_int_id": lambda ctx: _now(ctx.resolve_signal(123, "go", "v")),
    "reject_signal_int_name": lambda ctx: _now(ctx.reject_signal("inv_1", 5, "no")),
    "promise_int_value": lambda ctx: ctx.promise(123).value(),
    "promise_int_resolve": lambda ctx: ctx.promise(123).resolve("v"),
    "promise_int_peek": lambda ctx: ctx.promise(7).peek(),
    "promise_reject_int_message": lambda ctx: ctx.promise("approved").reject(500),
    "run_max_attempts_str": lambda ctx: ctx.run("fetch", failing(ctx), max_attempts="3"),
    "run_max_attempts_float": lambda ctx: ctx.run("fetch", failing(ctx), max_attempts=3.0),
    "run_max_attempts_negative": lambda ctx: ctx.run("fetch", failing(ctx), max_attempts=-1),
    "run_max_attempts_over_u32": lambda ctx: ctx.run("fetch", failing(ctx), max_attempts=2**32),
    "run_max_retry_duration_int": lambda ctx: ctx.run("fetch", failing(ctx), max_retry_duration=5),
    "run_max_retry_duration_negative": lambda ctx: ctx.run("fetch", failing(ctx),
                                                           max_retry_duration=timedelta(seconds=-1)),
    "run_max_duration": lambda ctx: ctx.run("fetch", failing(ctx), max_duration=timedelta(seconds=5)),
    "run_options": lambda ctx: ctx.run("fetch", failing(ctx), options=RunOptions(max_attempts=3)),
    "run_initial_retry_interval": lambda ctx: ctx.run("fetch", failing(ctx),
                                                      initial_retry_interval=timedelta(seconds=1)),
    "run_serde_positional_str": lambda ctx: ctx.run("fetch", fetch, "o-1"),
    "run_serde_class": lambda ctx: ctx.run("fetch", fetch, serde=JsonSerde),
    "run_serde_none": lambda ctx: ctx.run("fetch", fetch, serde=None),
    "run_args_int": lambda ctx: ctx.run("fetch", failing(ctx), args=5),
    "run_typed_options_dict": lambda ctx: ctx.run_typed("fetch", failing(ctx), {"max_attempts": 3}),
    "run_typed_options_none": lambda ctx: ctx.run_typed("fetch", failing(ctx), None),
    "run_typed_argument_first": lambda ctx: ctx.run_typed("fetch", failing(ctx), "o-1"),
    "run_typed_options_keyword": lambda ctx: ctx.run_typed("fetch", failing(ctx), options=RunOptions(max_attempts=3)),
    "run_typed_max_attempts_keyword": lambda ctx: ctx.run_typed("fetch", failing(ctx), max_attempts=3),
    "run_typed_max_attempts_str": lambda ctx: ctx.run_typed("fetch", failing(ctx), RunOptions(max_attempts="3")),
    "run_typed_max_duration_int": lambda ctx: ctx.run_typed("fetch", failing(ctx), RunOptions(max_duration=30)),
    "run_typed_max_duration_negative": lambda ctx: ctx.run_typed("fetch", failing(ctx), RunOptions(
        max_duration=timedelta(seconds=-1))),
    "run_typed_initial_retry_interval_negative": lambda ctx: ctx.run_typed("fetch", failing(ctx), RunOptions(
        max_attempts=3, initial_retry_interval=timedelta(seconds=-1))),
    "run_typed_max_retry_interval_float": lambda ctx: ctx.run_typed("fetch", failing(ctx), RunOptions(
        max_attempts=3, max_retry_interval=1.5)),
    "run_typed_retry_interval_factor_str": lambda ctx: ctx.run_typed("fetch", failing(ctx), RunOptions(
        max_attempts=3, retry_interval_factor="2")),
    "run_typed_serde_str": lambda ctx: ctx.run_typed("fetch", fetch, RunOptions(serde="json")),
}
RUN_OPTIONS = {case for case in BAD if case.startswith((
    "run_max", "run_options", "run_initial", "run_serde", "run_args", "run_typed_options", "run_typed_argument",
    "run_typed_max", "run_typed_initial", "run_typed_retry", "run_typed_serde"))}
"""The run option cases: the action must not have run."""
PROMISES = {case for case in BAD if case.startswith("promise_")}
"""Run in a workflow (ContextArgumentsPromises), the only handler kind with promises."""

GOOD: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "run_empty_name": lambda ctx: ctx.run("", fetch),
    "run_str_subclass": lambda ctx: ctx.run(Text("fetch"), fetch),
    "state_str_subclass": lambda ctx: _now(ctx.set(Text("n"), 1), ctx.get(Text("n")), ctx.clear(Text("n"))),
    "state_entry_names": lambda ctx: _now(ctx.set("n", 1, entry_name=Text("e")), ctx.get("n", entry_name="e"),
                                          ctx.state_keys(entry_name="e"), ctx.clear("n", entry_name=None)),
    "sleep_forms": lambda ctx: _now(ctx.sleep(Span(milliseconds=1)), ctx.sleep(delta=timedelta(0)),
                                    ctx.sleep(timedelta(microseconds=10), name=Text("nap"))),
    "call_forms": lambda ctx: _now(ctx.service_call(echo, Text("x"), idempotency_key=Text("i"),
                                                    headers={"x-a": Text("b")}),
                                   ctx.object_call(keep, Text("k"), "x"), ctx.generic_call(
                                       "ContextArgumentsTarget", "echo", None, idempotency_key=None),
                                   ctx.service_send(echo, "x", send_delay=timedelta(0)),
                                   ctx.object_send(keep, "k", "x", send_delay=Span(milliseconds=1)),
                                   ctx.scope(Text("s"))),  # (no scoped call: restate-server 1.7 has no scopes)
    "awakeable_forms": lambda ctx: _awakeables(ctx),
    "run_odd_options": lambda ctx: _now(ctx.run("fetch", fetch, max_attempts=0), ctx.run("fetch", fetch, JsonSerde(),
                                        True, timedelta(microseconds=-500), "int", args=[])),
    "run_retry_forms": lambda ctx: ctx.run("fetch", failing_once(ctx), max_attempts=Two(),
                                           max_retry_duration=Span(seconds=30)),
    "run_typed_retry_forms": lambda ctx: ctx.run_typed("fetch", failing_once(ctx), RunOptions(
        serde=JsonSerde(), type_hint="int", max_attempts=Two(), max_duration=Span(seconds=30),
        initial_retry_interval=timedelta(0), max_retry_interval=Span(milliseconds=10),
        retry_interval_factor=Decimal(2)), max_attempts=3, options=None),
    "run_typed_options_alike": lambda ctx: ctx.run_typed("fetch", failing_once(ctx), OptionsAlike()),
}


async def _awakeables(ctx: Any) -> None:
    """An awakeable resolved by a str subclass of its id, another rejected with a code of 0."""
    name, future = ctx.awakeable()
    ctx.resolve_awakeable(Text(name), "v")
    await future
    name, future = ctx.awakeable()
    ctx.reject_awakeable(name, Text("no"), failure_code=0)
    try:
        await future
    except restate.TerminalError:
        pass


@box.handler()
async def bad(ctx: restate.ObjectContext, case: str) -> Any:
    return await BAD[case](ctx)


promises = rea_runtime.Workflow("ContextArgumentsPromises")


@promises.main()
async def run(ctx: restate.WorkflowContext, case: str) -> Any:
    if case == "good":
        return await ctx.promise(Text("approved")).peek()
    return await BAD[case](ctx)


unguarded = rea_runtime.VirtualObject("ContextArgumentsDisabled", policy="disabled")


@unguarded.handler(name="bad")
async def bad_disabled(ctx: restate.ObjectContext, case: str) -> Any:
    return await BAD[case](ctx)


@box.handler()
async def good(ctx: restate.ObjectContext, case: str) -> Any:
    return await GOOD[case](ctx)


@box.handler(kind="shared")
async def good_shared(ctx: restate.ObjectSharedContext, case: str) -> Any:
    """Awakeables: awaiting one in the exclusive handler is REA207, whoever resolves it."""
    return await GOOD[case](ctx)


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return rea_runtime.app([box, unguarded, targets, objects, flows, promises])


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
    ("get_int_entry_name", "ctx.get: the entry_name is int 5; fix: a str labelling the journal entry, or None"),
    ("set_int_entry_name", "ctx.set: the entry_name is int 5; fix: a str labelling the journal entry, or None"),
    ("clear_int_entry_name", "ctx.clear: the entry_name is int 5; fix: a str labelling the journal entry"),
    ("clear_all_int_entry_name", "ctx.clear_all: the entry_name is int 5; fix: a str labelling the journal entry"),
    ("state_keys_int_entry_name", "ctx.state_keys: the entry_name is int 5; fix: a str labelling the journal entry"),
    ("sleep_int", "ctx.sleep: the duration is int 5; fix: a datetime.timedelta, e.g. "
                  "ctx.sleep(timedelta(seconds=5)) (a bare number has no unit)"),
    ("sleep_float", "ctx.sleep: the duration is float 0.5; fix: a datetime.timedelta, e.g. "
                    "ctx.sleep(timedelta(seconds=0.5))"),
    ("sleep_none", "ctx.sleep: the duration is NoneType None; fix: a datetime.timedelta, e.g. "
                   "ctx.sleep(timedelta(seconds=30))"),
    ("sleep_negative", "ctx.sleep: the duration is -0:00:01; fix: timedelta(0) or more (for a deadline that may "
                       "have passed: max(delta, timedelta(0)))"),
    ("sleep_name_int", "ctx.sleep: the name is int 5; fix: a str labelling the sleep in the journal, or None"),
    ("call_str_target", "ctx.service_call: the target is str 'ContextArgumentsTarget/echo'; fix: the handler "
                        "function itself, as a service's @handler() decorated it, or ctx.generic_call('Service', "
                        "'handler', data) to call a handler by its name"),
    ("call_unregistered", "ctx.service_call: the target is function fetch; fix: the handler function itself"),
    ("call_int_key", "ctx.object_call: the key is int 42; fix: a str, the object's or workflow's key, or None (str(...) "
                     "of the int, if it is the key)"),
    ("send_uuid_key", "ctx.object_send: the key is UUID UUID('00000000-0000-0000-0000-000000000001'); fix: a str"),
    ("workflow_int_key", "ctx.workflow_call: the key is int 7; fix: a str, the object's or workflow's key"),
    ("generic_int_service", "ctx.generic_call: the service is int 123; fix: a str, the service's name as "
                            "registered, e.g. ctx.generic_call('Greeter', 'greet', data)"),
    ("generic_int_handler", "ctx.generic_call: the handler is int 5; fix: a str, the handler's name as registered"),
    ("generic_str_arg", "ctx.generic_call: the arg is str '\"x\"'; fix: bytes, as the handler's input serde reads "
                        "them (json.dumps(value).encode() for a JSON handler, bytes(...) of a bytearray or "
                        "memoryview), or None"),
    ("generic_bytearray_arg", "ctx.generic_send: the arg is bytearray bytearray(b'1'); fix: bytes"),
    ("idempotency_key_int", "ctx.service_call: the idempotency_key is int 5; fix: a str (e.g. "
                            "rea_runtime.deterministic.idempotency_key(...)), or None (str(...) of the int, if it "
                            "is the idempotency_key)"),
    ("send_delay_int", "ctx.service_send: the send_delay is int 5; fix: a datetime.timedelta, e.g. "
                       "send_delay=timedelta(seconds=5) (a bare number has no unit)"),
    ("send_delay_negative", "ctx.object_send: the send_delay is -0:00:01; fix: timedelta(0) or more (0: at once)"),
    ("headers_list", "ctx.service_call: the headers argument is list [('x-a', 'b')]; fix: a dict of str to "
                     "str"),
    ("headers_int_value", "ctx.service_call: the header 'x-n' is int 1; fix: a str (headers are text)"),
    ("scope_int", "ctx.scope(123).service_call: the scope is int 123; fix: a str naming the scope, e.g. "
                  "ctx.scope('tenant-1') (str(...) of the int, if it is the scope)"),
    ("limit_key_int", "ctx.scope('s').service_call: the limit_key is int 5; fix: a str, or None"),
    ("awakeable_int_id", "ctx.resolve_awakeable: the awakeable id is int 123; fix: a str, the id ctx.awakeable() "
                         "returned"),
    ("awakeable_int_message", "ctx.reject_awakeable: the failure_message is int 500; fix: a str saying why (the "
                              "status goes in failure_code=)"),
    ("awakeable_str_code", "ctx.reject_awakeable: the failure_code is str '500'; fix: a whole number from 0 to "
                           "65535, e.g. 500 (an HTTP-like status)"),
    ("awakeable_big_code", "ctx.reject_awakeable: the failure_code is int 70000; fix: a whole number from 0 to 65535"),
    ("cancel_none", "ctx.cancel_invocation: the invocation_id is NoneType None; fix: a str, an invocation's id "
                    "(await handle.invocation_id() of a call or send)"),
    ("attach_int", "ctx.attach_invocation: the invocation_id is int 123; fix: a str, an invocation's id"),
    ("signal_int", "ctx.signal: the signal name is int 5; fix: a str naming the signal"),
    ("resolve_signal_int_id", "ctx.resolve_signal: the invocation_id is int 123; fix: a str, an invocation's id"),
    ("reject_signal_int_name", "ctx.reject_signal: the signal name is int 5; fix: a str naming the signal"),
    ("promise_int_value", "ctx.promise: the promise name is int 123; fix: a str naming the promise, e.g. "
                          "ctx.promise('approved') (str(...) of the int, if it is the name)"),
    ("promise_int_resolve", "ctx.promise: the promise name is int 123; fix: a str naming the promise"),
    ("promise_int_peek", "ctx.promise: the promise name is int 7; fix: a str naming the promise"),
    ("promise_reject_int_message", "ctx.promise('approved').reject: the message is int 500; fix: a str saying why"),
    ("run_max_attempts_str", "ctx.run: the max_attempts is str '3'; fix: a whole number of attempts from 1 to "
                             "4294967295 (1: no retry), or None (the invocation's retry policy)"),
    ("run_max_attempts_float", "ctx.run: the max_attempts is float 3.0; fix: a whole number of attempts"),
    ("run_max_attempts_negative", "ctx.run: the max_attempts is -1; fix: a whole number of attempts from 1 to "
                                  "4294967295"),
    ("run_max_attempts_over_u32", "ctx.run: the max_attempts is 4294967296; fix: a whole number of attempts"),
    ("run_max_retry_duration_int", "ctx.run: the max_retry_duration is int 5; fix: a datetime.timedelta, e.g. "
                                   "max_retry_duration=timedelta(seconds=5) (a bare number has no unit), or None"),
    ("run_max_retry_duration_negative", "ctx.run: the max_retry_duration is -0:00:01; fix: 0 or more, or None"),
    ("run_max_duration", "ctx.run: the keyword max_duration is none of its parameters (serde, max_attempts, "
                         "max_retry_duration, type_hint, args); fix: max_retry_duration=, ctx.run's name for it"),
    ("run_options", "ctx.run: the keyword options is none of its parameters (serde, max_attempts, "
                    "max_retry_duration, type_hint, args); fix: ctx.run_typed('fetch', act, restate.RunOptions(...)): "
                    "it takes the options third"),
    ("run_initial_retry_interval", "ctx.run: the keyword initial_retry_interval is none of its parameters (serde, "
                                   "max_attempts, max_retry_duration, type_hint, args); fix: ctx.run_typed('fetch', "
                                   "act, restate.RunOptions(initial_retry_interval=...)): it takes every retry "
                                   "option"),
    ("run_serde_positional_str", "ctx.run: the serde is str 'o-1'; fix: a restate.serde.Serde, e.g. "
                                 "restate.serde.JsonSerde(), or leave it out (JSON, or pydantic by the return "
                                 "type); the action's own arguments go in args=(...)"),
    ("run_serde_class", "ctx.run: the serde is type JsonSerde; fix: an instance of it, serde=JsonSerde()"),
    ("run_serde_none", "ctx.run: the serde is NoneType None; fix: a restate.serde.Serde"),
    ("run_args_int", "ctx.run: the args is int 5; fix: a tuple of the action's arguments, e.g. args=(5,)"),
    ("run_typed_options_dict", "ctx.run_typed: the options is dict {'max_attempts': 3}; fix: a restate.RunOptions, "
                               "e.g. ctx.run_typed('fetch', act, restate.RunOptions(max_attempts=3)); the "
                               "action's own arguments come after it"),
    ("run_typed_options_none", "ctx.run_typed: the options is NoneType None; fix: a restate.RunOptions"),
    ("run_typed_argument_first", "ctx.run_typed: the options is str 'o-1'; fix: a restate.RunOptions, e.g. "
                                 "ctx.run_typed('fetch', act, restate.RunOptions()); the action's own arguments "
                                 "come after it"),
    ("run_typed_options_keyword", "ctx.run_typed: the keyword options goes to the action act, which takes no "
                                  "options; fix: the options go third, positionally: ctx.run_typed('fetch', act, "
                                  "restate.RunOptions(...))"),
    ("run_typed_max_attempts_keyword", "ctx.run_typed: the keyword max_attempts goes to the action act, which takes "
                                       "no max_attempts; fix: in the options, third: ctx.run_typed('fetch', act, "
                                       "restate.RunOptions(max_attempts=...))"),
    ("run_typed_max_attempts_str", "ctx.run_typed: the max_attempts is str '3'; fix: a whole number of attempts"),
    ("run_typed_max_duration_int", "ctx.run_typed: the max_duration is int 30; fix: a datetime.timedelta, e.g. "
                                   "max_duration=timedelta(seconds=30)"),
    ("run_typed_max_duration_negative", "ctx.run_typed: the max_duration is -0:00:01; fix: 0 or more, or None"),
    ("run_typed_initial_retry_interval_negative", "ctx.run_typed: the initial_retry_interval is -0:00:01; fix: 0 "
                                                  "or more, or None"),
    ("run_typed_max_retry_interval_float", "ctx.run_typed: the max_retry_interval is float 1.5; fix: a "
                                           "datetime.timedelta, e.g. max_retry_interval=timedelta(seconds=1.5)"),
    ("run_typed_retry_interval_factor_str", "ctx.run_typed: the retry_interval_factor is str '2'; fix: a finite "
                                            "number >= 1 (1: the same interval each time, 2: doubling), or None"),
    ("run_typed_serde_str", "ctx.run_typed: the serde is str 'json'; fix: a restate.serde.Serde, e.g. "
                            "restate.serde.JsonSerde()"),
]
"""(case of BAD, what the invocation fails with)."""


@pytest.mark.parametrize("case,message", REFUSED, ids=[case for case, _ in REFUSED])
async def test_an_argument_the_sdk_never_takes_fails_the_invocation_terminally(restate_env, case: str,
                                                                               message: str) -> None:
    service, handler = ("ContextArgumentsPromises", "run") if case in PROMISES else ("ContextArguments", "bad")
    key = restate_env.unique()
    failure = await terminal_failure(restate_env, service, handler, case, key=key)
    assert message in failure, failure
    if case in RUN_OPTIONS:  # refused at the call: the action never ran
        assert key not in RAN, RAN[key]


def test_every_refusal_is_proved() -> None:
    assert sorted(case for case, _ in REFUSED) == sorted(BAD)


async def test_also_when_the_policy_is_disabled(restate_env) -> None:
    """No rule: no policy makes the call work, and the SDK's error was retried forever."""
    failure = await terminal_failure(restate_env, "ContextArgumentsDisabled", "bad", "run_int",
                                     key=restate_env.unique())
    assert "ctx.run: the run name is int 123; fix:" in failure, failure


@pytest.mark.parametrize("case", [*sorted(GOOD), "promise"])
async def test_what_the_sdk_takes_still_works(restate_env, case: str) -> None:
    if case == "promise":
        resp = await restate_env.call("ContextArgumentsPromises", "run", "good", key=restate_env.unique())
    else:
        handler = "good_shared" if case == "awakeable_forms" else "good"
        resp = await restate_env.call("ContextArguments", handler, case, key=restate_env.unique())
    assert resp.status_code == 200, resp.text
