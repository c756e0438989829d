"""`State(...)` checks its name, type, default and budget where the entry is declared, with one
line naming the argument and the fix: a bad budget used to fail every write with a TypeError
Restate retried forever (or report every write as over "nan bytes"), a default of the wrong
type was returned by `get` unchecked, and a type that is no type failed only at first use."""

from __future__ import annotations

import math
import re
from typing import Any, Optional

import pytest
import restate
from pydantic import BaseModel

import rea_runtime
from rea_runtime.presets import ConfigurationError
from rea_runtime.state import State, StateConfigError

from ._terminal import terminal_failure


class Item(BaseModel):
    sku: str


@pytest.mark.parametrize("args,kwargs,message", [
    (("x", list), {"budget_bytes": "1k"}, "State('x'): budget_bytes is str '1k'; fix: a whole number of bytes, "
                                          "1 or more (e.g. 64 * 1024), or None (the service preset's "
                                          "state_budget_bytes)"),
    (("x", list), {"budget_bytes": math.nan}, "State('x'): budget_bytes is float nan; fix:"),
    (("x", list), {"budget_bytes": -1}, "State('x'): budget_bytes is int -1; fix:"),
    (("x", list), {"budget_bytes": 0}, "State('x'): budget_bytes is int 0; fix:"),
    (("x", list), {"budget_bytes": True}, "State('x'): budget_bytes is bool True; fix:"),
    ((123, int), {}, "State(123, ...): the name is int 123; fix: a non-empty str (the state key"),
    (("", int), {}, "State('', ...): the name is str ''; fix: a non-empty str"),
    (("x", "notatype"), {}, "State('x'): the type 'notatype' cannot be used (name 'notatype' is not defined); "
                            "fix: pass the type itself (a class, a pydantic model, or an annotation such as "
                            "list[Item]), not its name or a value"),
    (("x", 5), {}, "State('x'): the type 5 cannot be used (Unable to generate pydantic-core schema for 5); fix:"),
    (("x", int), {"default": "abc"}, "State('x'): the default 'abc' does not fit: field (the value itself): Input "
                                     "should be a valid integer, got str 'abc'; the entry's type is <class 'int'>; "
                                     "fix: a default of the entry's type (what `get` returns while nothing is "
                                     "stored), or None"),
    (("x", list[Item]), {"default": [Item(sku="a"), "b"]}, "State('x'): the default [Item(sku='a'), 'b'] does not "
                                                           "fit: field [1]: Input should be a valid dictionary or "
                                                           "instance of Item"),
])
def test_bad_arguments_are_refused_where_the_entry_is_declared(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(StateConfigError, match=f"^{re.escape(message)}"):
        State(*args, **kwargs)


def test_what_the_docs_show_is_accepted() -> None:
    State("cart", list[Item], default=[], budget_bytes=64 * 1024)
    State("favourite", Optional[Item])
    State("by_sku", dict[str, Item], default={"a": Item(sku="a")})
    State("ratio", float, default=0)  # an int is a float
    State("ratio", float, default=math.nan)  # returned by get, never stored by it: the caller's to keep


def test_the_error_is_a_configuration_error_and_terminal() -> None:
    with pytest.raises(ConfigurationError) as info:
        State("x", int, budget_bytes="1k")  # type: ignore[arg-type]
    assert isinstance(info.value, restate.TerminalError)


def test_a_default_is_converted_into_the_type_once() -> None:
    """A dict given for a model is what `get` would otherwise hand back: the model is what it promises."""
    assert State("x", Item, default={"sku": "a"}).default == Item(sku="a")
    assert State("x", list[Item], default=[{"sku": "a"}, Item(sku="b")]).default == [Item(sku="a"), Item(sku="b")]
    assert State("x", Optional[Item], default={"sku": "a"}).default == Item(sku="a")
    assert State("x", dict[str, Item], default={"k": {"sku": "a"}}).default == {"k": Item(sku="a")}
    assert type(State("ratio", float, default=0).default) is float


class Later(BaseModel):
    item: "LaterItem"


LATER = State("later", Later, default={"item": {"n": 1}})
"""Declared while its type is incomplete: the default is converted at the first `get`."""


class LaterItem(BaseModel):
    n: int


Later.model_rebuild()


class Never(BaseModel):
    item: "NeverDefined"  # type: ignore[name-defined]  # noqa: F821


class Wrong(BaseModel):
    item: "WrongItem"


WRONG = State("wrong", Wrong, default={"item": 5})


class WrongItem(BaseModel):
    n: int


@pytest.mark.parametrize("entry,message", [
    (lambda: State("never", Never, default={"item": 1}),
     "State('never'): the type <class 'tests.runtime.test_state_arguments.Never'> is not fully defined (it refers "
     "to a name pydantic cannot resolve); fix: define the models it refers to, then call Never.model_rebuild() "
     "at import"),
    (lambda: WRONG, "State('wrong'): the default {'item': 5} does not fit: field .item: Input should be a valid "
                    "dictionary or instance of WrongItem, got int 5"),
])
async def test_a_default_of_an_incomplete_type_is_checked_at_the_first_get(entry: Any, message: str) -> None:
    """Terminal (never retried) when it reaches a handler, like the check at construction."""
    with pytest.raises(StateConfigError, match=f"^{re.escape(message)}"):
        await entry().get(object())


# -- declared inside a handler: terminal at once, on a real server ---------------------------

box = rea_runtime.VirtualObject("StateArguments")

CART = State("cart", list[Item], default=[{"sku": "a"}])
FAVOURITE = State("favourite", Item, default={"sku": "b"})


@box.handler()
async def defaults(ctx: restate.ObjectContext) -> list[str]:
    """What `get` returns while nothing is stored, as this process sees it (never raising: a raw
    dict would fail `.sku` with an error Restate retries, and the call would only time out)."""
    cart = await CART.get(ctx) or []
    return [f"{type(v).__name__} {v!r}" for v in (*cart, await FAVOURITE.get(ctx), await LATER.get(ctx))]


@box.handler()
async def put(ctx: restate.ObjectContext) -> str:
    State("cart", list, budget_bytes="1k").set(ctx, [1, 2])  # type: ignore[arg-type]
    return "written"


@pytest.fixture(scope="module")
def restate_app() -> Any:
    return rea_runtime.app([box])


async def test_get_returns_a_dict_default_as_the_model(restate_env) -> None:
    resp = await restate_env.call("StateArguments", "defaults", None, key=restate_env.unique())
    assert resp.status_code == 200, resp.text
    assert resp.json() == ["Item Item(sku='a')", "Item Item(sku='b')", "Later Later(item=LaterItem(n=1))"]


async def test_a_bad_budget_in_a_handler_fails_it_terminally(restate_env) -> None:
    key = restate_env.unique()
    failure = await terminal_failure(restate_env, "StateArguments", "put", key=key)
    assert "State('cart'): budget_bytes is str '1k'; fix: a whole number of bytes" in failure, failure
    rows = restate_env.query(f"SELECT key FROM state WHERE service_name = 'StateArguments' AND service_key = '{key}'")
    assert rows == []  # nothing written
