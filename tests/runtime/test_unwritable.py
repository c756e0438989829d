"""A result that the SDK's serde cannot write fails for good, naming where it came from, its line,
the value and the fix (`rea_runtime.unwritable`): a run's (the action ran once) and a handler's.

Without rea (the controls below) the SDK hands the serializer's error to Restate as a transient
failure: a run is retried, and every retry runs its action again; a handler is retried, and every
retry replays it to fail at its end again."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Awaitable, Callable

import pytest
import restate
from pydantic import BaseModel
from restate import RunOptions
from restate.serde import JsonSerde, PydanticJsonSerde, Serde

import rea_runtime

from ._markers import where
from ._terminal import terminal_failure

HERE = __file__
WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)
RAN: dict[str, int] = {}
"""Invocation key -> how often its run action ran."""


class Item(BaseModel):
    sku: str


@dataclasses.dataclass
class Point:
    x: int


class IsoSerde(Serde[datetime]):
    """The application's own serde: it writes datetimes."""

    def serialize(self, obj: Any) -> bytes:
        return obj.isoformat().encode()

    def deserialize(self, buf: bytes) -> Any:
        return datetime.fromisoformat(buf.decode())


def counted(key: str, value: Any) -> Callable[[], Any]:
    def action() -> Any:
        RAN[key] = RAN.get(key, 0) + 1
        return value
    return action


def counted_model(key: str) -> Callable[[], Item]:
    def load() -> Item:
        RAN[key] = RAN.get(key, 0) + 1
        return Item(sku="a")
    return load


def counted_wrong(key: str) -> Callable[[], Item]:
    def load() -> Item:
        RAN[key] = RAN.get(key, 0) + 1
        return {"sku": "a"}  # type: ignore[return-value]
    return load


def cyclic() -> list:
    out: list = []
    out.append(out)
    return out


async def noop() -> None:
    return None


def starts_coroutine(key: str) -> Any:
    """A plain function that calls an async one and forgets to await it."""
    RAN[key] = RAN.get(key, 0) + 1
    return noop()


async def async_stamp(key: str) -> datetime:
    RAN[key] = RAN.get(key, 0) + 1
    return WHEN


BAD: dict[str, Callable[[Any, str], Awaitable[Any]]] = {
    "datetime": lambda ctx, k: ctx.run("stamp", counted(k, WHEN)),  # <- datetime
    "model": lambda ctx, k: ctx.run("load", counted(k, Item(sku="a"))),  # <- model
    "model_typed": lambda ctx, k: ctx.run_typed("load", counted(k, Item(sku="a"))),  # <- model_typed
    "nested": lambda ctx, k: ctx.run("list", counted(k, {"items": [1, {"at": Decimal("1.5")}]})),  # <- nested
    "set_typed": lambda ctx, k: ctx.run_typed("tags", counted(k, {"a"}), RunOptions(serde=JsonSerde(), max_attempts=5)),  # <- set_typed
    "serde_positional": lambda ctx, k: ctx.run("raw", counted(k, b"\x00"), JsonSerde()),  # <- serde_positional
    "serde_keyword": lambda ctx, k: ctx.run("pts", counted(k, [Point(1)]), serde=JsonSerde(), max_attempts=3),  # <- serde_keyword
    "async": lambda ctx, k: ctx.run("stamp", async_stamp, args=(k,)),  # <- async
    "wrong_model": lambda ctx, k: ctx.run("load", counted_wrong(k)),  # <- wrong_model
    "model_serde": lambda ctx, k: ctx.run("load", counted(k, {"sku": "a"}), PydanticJsonSerde(Item)),  # <- model_serde
    "cycle": lambda ctx, k: ctx.run("loop", counted(k, cyclic())),  # <- cycle
    "bad_key": lambda ctx, k: ctx.run("map", counted(k, {("a", 1): 2})),  # <- bad_key
    "coroutine": lambda ctx, k: ctx.run("later", lambda: starts_coroutine(k)),  # <- coroutine
}

GOOD: dict[str, tuple[Callable[[Any, str], Awaitable[Any]], Any]] = {
    "annotated_model": (lambda ctx, k: ctx.run("load", counted_model(k)), {"model": "Item", "sku": "a"}),
    "type_hint": (lambda ctx, k: ctx.run("load", counted(k, Item(sku="a")), type_hint=Item),
                  {"model": "Item", "sku": "a"}),
    "typed_hint": (lambda ctx, k: ctx.run_typed("load", counted(k, Item(sku="a")), RunOptions(type_hint=Item)),
                   {"model": "Item", "sku": "a"}),
    "dataclass": (lambda ctx, k: ctx.run("pt", counted(k, Point(2))), {"value": {"x": 2}}),
    "none": (lambda ctx, k: ctx.run("nothing", counted(k, None)), {"value": None}),
    "json": (lambda ctx, k: ctx.run_typed("data", counted(k, {"a": [1, 2.5, None, True, "x"]}), RunOptions(
        serde=JsonSerde(), max_attempts=2)), {"value": {"a": [1, 2.5, None, True, "x"]}}),
    "own_serde": (lambda ctx, k: ctx.run("stamp", counted(k, WHEN), IsoSerde()), {"value": WHEN.isoformat()}),
}


svc = rea_runtime.Service("RunResults")
unguarded = rea_runtime.Service("RunResultsDisabled", policy="disabled")
raw = restate.Service("RunResultsRaw")


@svc.handler()
async def bad(ctx: restate.Context, req: dict) -> Any:
    return await BAD[req["case"]](ctx, req["key"])


@unguarded.handler(name="bad")
async def bad_disabled(ctx: restate.Context, req: dict) -> Any:
    return await BAD[req["case"]](ctx, req["key"])


@svc.handler()
async def good(ctx: restate.Context, req: dict) -> Any:
    result = await GOOD[req["case"]][0](ctx, req["key"])  # (as the run's serde read it back from the journal)
    if isinstance(result, BaseModel):
        return {"model": type(result).__name__, **result.model_dump()}
    return {"value": result.isoformat() if isinstance(result, datetime) else result}


@raw.handler(name="bad")
async def bad_raw(ctx: restate.Context, req: dict) -> Any:
    return await BAD[req["case"]](ctx, req["key"])


outputs = rea_runtime.Service("HandlerResults")
unvalidated = rea_runtime.Service("HandlerResultsUnvalidated", validate=False)
raw_outputs = restate.Service("HandlerResultsRaw")


@outputs.handler()  # <- out_stamp
async def stamp(ctx: restate.Context) -> dict:
    return {"at": WHEN}


@outputs.handler()  # <- out_model
async def model(ctx: restate.Context):  # type: ignore[no-untyped-def]
    return Item(sku="a")


@outputs.handler()
async def fine(ctx: restate.Context) -> Item:
    return Item(sku="a")


@outputs.handler()  # <- out_pending
async def pending(ctx: restate.Context) -> Any:
    return noop()  # (an `await` missing)


@unvalidated.handler()  # <- out_tags
async def tags(ctx: restate.Context) -> Any:
    return {"b"}


@raw_outputs.handler(name="stamp")
async def stamp_raw(ctx: restate.Context) -> dict:
    return {"at": WHEN}


values = rea_runtime.VirtualObject("ValueWrites")
value_targets = rea_runtime.Service("ValueTargets")
value_flow = rea_runtime.Workflow("ValueFlow")


@value_targets.handler()
async def echo(ctx: restate.Context, x: dict) -> dict:
    return x


@values.handler(name="set")
async def set_value(ctx: restate.ObjectContext) -> None:
    ctx.set("at", {"at": WHEN})  # <- v_set


@values.handler()
async def call(ctx: restate.ObjectContext) -> Any:
    return await ctx.service_call(echo, {"at": WHEN})  # <- v_call


@values.handler()
async def send(ctx: restate.ObjectContext) -> None:
    ctx.service_send(echo, arg={"tags": {"a"}})  # <- v_send


@values.handler(kind="shared")
async def wake(ctx: restate.ObjectSharedContext) -> None:
    name, _ = ctx.awakeable()
    ctx.resolve_awakeable(name, [Decimal("1.5")])  # <- v_wake


@values.handler()
async def model_state(ctx: restate.ObjectContext) -> Any:
    ctx.set("item", Item(sku="a"))  # the SDK types the default serde by the value: a model is written
    return await ctx.get("item")


@value_flow.main()
async def resolve(ctx: restate.WorkflowContext) -> None:
    await ctx.promise("p").resolve(WHEN)  # <- v_promise


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return rea_runtime.app([svc, unguarded, raw, outputs, unvalidated, raw_outputs, values, value_targets, value_flow])


def _call(case: str) -> str:
    method = "run_typed" if case.endswith("_typed") else "run"
    name = {"datetime": "stamp", "model": "load", "model_typed": "load", "nested": "list", "set_typed": "tags",
            "serde_positional": "raw", "serde_keyword": "pts", "async": "stamp", "wrong_model": "load",
            "model_serde": "load", "cycle": "loop", "bad_key": "map", "coroutine": "later"}[case]
    return f"ctx.{method}({name!r}, ...) (at {where(HERE, case)}): "


REFUSED = {
    "datetime": ("the action's result is datetime datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timez..., "
                 "which the run's serde cannot write (TypeError: Object of type datetime is not JSON serializable); "
                 "not retried: every retry would run the action again and fail the same way; fix: return text: its "
                 ".isoformat() (and datetime.fromisoformat(...) where it is read)"),
    "model": "fix: type_hint=Item (or annotate the action `-> Item`), so the SDK writes it as a model, or return "
             ".model_dump(mode='json')",
    "model_typed": "fix: restate.RunOptions(type_hint=Item) (or annotate the action `-> Item`)",
    "nested": "the action's result (dict) holds Decimal Decimal('1.5') at result['items'][1]['at'], which the run's "
              "serde cannot write (TypeError: Object of type Decimal is not JSON serializable); not retried: every "
              "retry would run the action again and fail the same way; fix: return text: str(...) of the Decimal",
    "set_typed": "the action's result is set {'a'}, which the run's serde cannot write (TypeError: Object of type set "
                 "is not JSON serializable); not retried: every retry would run the action again and fail the same "
                 "way; fix: return a list: sorted(...) of the set",
    "serde_positional": "fix: return text: .decode() of the bytes (base64 for binary data), or "
                        "serde=restate.serde.BytesSerde() to journal the bytes as they are",
    "serde_keyword": "the action's result (list) holds Point Point(x=1) at result[0], which the run's serde cannot "
                     "write (TypeError: Object of type Point is not JSON serializable); not retried: every retry "
                     "would run the action again and fail the same way; fix: return JSON data: dataclasses.asdict(...) "
                     "of it",
    "async": "fix: return text: its .isoformat()",
    "wrong_model": "the action's result is dict {'sku': 'a'}, which the run's serde cannot write (AttributeError: "
                   "'dict' object has no attribute 'model_dump_json'); not retried: every retry would run the action "
                   "again and fail the same way; fix: return an instance of Item (the type it is written as: its type "
                   "hint or the action's return annotation), or correct that type",
    "model_serde": "fix: return an instance of Item",
    "cycle": "(ValueError: Circular reference detected); not retried: every retry would run the action again and fail "
             "the same way; fix: a value without reference cycles",
    "coroutine": "(TypeError: Object of type coroutine is not JSON serializable); not retried: every retry would run "
                 "the action again and fail the same way; fix: the action returned an awaitable that nothing awaits: "
                 "hand the run the async function itself (ctx.run('name', fetch, args=(...)), not lambda: "
                 "fetch(...)), or await it in an `async def` action",
    "bad_key": "the action's result is dict {('a', 1): 2}, which the run's serde cannot write (TypeError: keys must be "
               "str, int, float, bool or None, not tuple); not retried: every retry would run the action again and "
               "fail the same way; fix: a dict whose keys are str, int, float, bool or None",
}


def test_every_refused_case_is_checked() -> None:
    assert sorted(REFUSED) == sorted(BAD) and len(BAD) == 13


@pytest.mark.parametrize("case", sorted(BAD))
async def test_an_unwritable_result_fails_the_run_once_naming_it(restate_env, case: str) -> None:
    key = restate_env.unique()
    failure = await terminal_failure(restate_env, "RunResults", "bad", {"case": case, "key": key})
    assert failure.startswith(f"[500] {_call(case)}") or failure.startswith(_call(case)), failure
    assert REFUSED[case] in failure, failure
    assert RAN[key] == 1  # the side effect happened once: no retry ran it again (max_attempts=5 would have)


async def test_no_policy_turns_it_off(restate_env) -> None:
    """As the refused arguments: no policy makes the run work, and a retry would run it again."""
    key = restate_env.unique()
    failure = await terminal_failure(restate_env, "RunResultsDisabled", "bad", {"case": "datetime", "key": key})
    assert REFUSED["datetime"] in failure
    assert RAN[key] == 1


async def test_without_rea_the_sdk_retries_the_run_and_its_action(restate_env) -> None:
    """The control: the SDK alone retries the run forever, running the action at every retry."""
    key = restate_env.unique()
    inv = await restate_env.send("RunResultsRaw", "bad", {"case": "datetime", "key": key})
    try:
        row = await restate_env.wait_for(inv, lambda r: r["status"] == "backing-off" and r["retry_count"] >= 2)
    finally:
        restate_env.kill(inv)
    assert "Object of type datetime is not JSON serializable" in row["last_failure"]
    assert RAN[key] >= 2


@pytest.mark.parametrize("case", sorted(GOOD))
async def test_what_the_serde_writes_is_untouched(restate_env, case: str) -> None:
    key = restate_env.unique()
    resp = await restate_env.call("RunResults", "good", {"case": case, "key": key})
    assert resp.status_code == 200, resp.text
    assert resp.json() == GOOD[case][1]
    assert RAN[key] == 1


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_a_value_that_cannot_be_shown_is_still_refused() -> None:
    """The refusal must not fail in turn: a `__repr__` that raises, or a value nested so deep that
    both the serde and repr() give up, is named by its type."""
    from rea_runtime.unwritable import CheckedDefaultSerde

    serde = CheckedDefaultSerde(None, ("ctx", "run", "odd", None, 0))
    with pytest.raises(restate.TerminalError) as caught:
        serde.serialize(Unprintable())
    assert caught.value.message.startswith("ctx.run('odd', ...): the action's result is Unprintable <a Unprintable>, ")
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(restate.TerminalError) as caught:
        serde.serialize(deep)
    assert "(RecursionError: " in caught.value.message and "list <a list>" in caught.value.message


OUTPUTS = {
    ("HandlerResults", "stamp", "out_stamp"): (
        "the handler's result (dict) holds datetime datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timez... at "
        "result['at'], which its output serde cannot write (TypeError: Object of type datetime is not JSON "
        "serializable); not retried: every retry would replay the handler and fail the same way; fix: return text: "
        "its .isoformat() (and datetime.fromisoformat(...) where it is read)"),
    ("HandlerResults", "model", "out_model"): (
        "the handler's result is Item Item(sku='a'), which its output serde cannot write (TypeError: Object of type "
        "Item is not JSON serializable); not retried: every retry would replay the handler and fail the same way; "
        "fix: annotate the handler's return type `-> Item`, so the SDK writes it as a model, or return "
        ".model_dump(mode='json')"),
    ("HandlerResultsUnvalidated", "tags", "out_tags"): "fix: return a list: sorted(...) of the set",
    ("HandlerResults", "pending", "out_pending"): "fix: await it: the handler returned an awaitable (an `await` is "
                                                  "missing)",
}


@pytest.mark.parametrize("service,handler,mark", sorted(OUTPUTS), ids=[m for _, _, m in sorted(OUTPUTS)])
async def test_an_unwritable_handler_result_ends_the_invocation(restate_env, service: str, handler: str,
                                                                mark: str) -> None:
    failure = await terminal_failure(restate_env, service, handler)
    assert f"handler {service}.{handler} (at {where(HERE, mark)}): " in failure, failure
    assert OUTPUTS[(service, handler, mark)] in failure, failure


async def test_a_handler_result_the_serde_writes_is_untouched(restate_env) -> None:
    resp = await restate_env.call("HandlerResults", "fine")
    assert resp.status_code == 200 and resp.json() == {"sku": "a"}, resp.text


async def test_without_rea_the_sdk_retries_the_handler(restate_env) -> None:
    inv = await restate_env.send("HandlerResultsRaw", "stamp")
    try:
        row = await restate_env.wait_for(inv, lambda r: r["status"] == "backing-off" and r["retry_count"] >= 2)
    finally:
        restate_env.kill(inv)
    assert "Object of type datetime is not JSON serializable" in row["last_failure"]


VALUES = {
    ("ValueWrites", "set", "v_set"): (
        "ctx.set('at', ...)", "the value (dict) holds datetime datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timez..."
        " at value['at'], which its serde cannot write (TypeError: Object of type datetime is not JSON serializable); "
        "not retried: every retry would replay the handler and fail the same way; fix: pass text: its .isoformat() "
        "(and datetime.fromisoformat(...) where it is read)"),
    ("ValueWrites", "call", "v_call"): (
        "ctx.service_call(echo, ...)", "the argument (dict) holds datetime datetime.datetime(2026, 1, 1, 0, 0, "
        "tzinfo=datetime.timez... at argument['at']"),
    ("ValueWrites", "send", "v_send"): (
        "ctx.service_send(echo, ...)", "the argument (dict) holds set {'a'} at argument['tags'], which its serde cannot "
        "write (TypeError: Object of type set is not JSON serializable); not retried: every retry would replay the "
        "handler and fail the same way; fix: pass a list: sorted(...) of the set"),
    ("ValueWrites", "wake", "v_wake"): (
        "ctx.resolve_awakeable(...)", "the value (list) holds Decimal Decimal('1.5') at value[0]"),
    ("ValueFlow", "resolve", "v_promise"): (
        "ctx.promise('p').resolve", "the value is datetime datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timez..., "
        "which its serde cannot write"),
}


@pytest.mark.parametrize("service,handler,mark", sorted(VALUES), ids=[m for _, _, m in sorted(VALUES)])
async def test_a_value_its_serde_cannot_write_fails_the_invocation(restate_env, service: str, handler: str,
                                                                   mark: str) -> None:
    """Written in handler code (a state value, a call's argument, a payload): the SDK's serializer
    raised there, a library's error that no policy turned terminal (REA402 is for the handler's
    own `raise`), so Restate retried the invocation forever."""
    failure = await terminal_failure(restate_env, service, handler, key=restate_env.unique())
    call, text = VALUES[(service, handler, mark)]
    assert f"{call} (at {where(HERE, mark)}): {text}" in failure, failure


async def test_a_value_the_sdk_writes_is_written(restate_env) -> None:
    resp = await restate_env.call("ValueWrites", "model_state", key=restate_env.unique())
    assert resp.status_code == 200 and resp.json() == {"sku": "a"}, resp.text
