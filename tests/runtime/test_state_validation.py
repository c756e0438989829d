"""`State[T]` validates writes, on a real server: strict fails naming the entry and the field,
warn logs once and writes what the SDK would, and NaN/inf are never turned into null."""

from __future__ import annotations

import math
from typing import Any, Optional

import pytest
import restate
import structlog
from pydantic import BaseModel

import rea_runtime
from rea_runtime import State

Number = State("number", Optional[float])


class Item(BaseModel):
    sku: str
    price: float


Cart = State("cart", list[Item], default=[])

strict_box = rea_runtime.VirtualObject("StateStrict", policy="strict")
warn_box = rea_runtime.VirtualObject("StateWarn", policy="warn")
BAD: dict[str, Any] = {
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "text": "not a number",
}


def _handlers(box: Any) -> None:
    @box.handler(name="set_number")
    async def set_number(ctx: restate.ObjectContext, which: str) -> str:
        Number.set(ctx, BAD[which])
        return "written"

    @box.handler(name="get_number")
    async def get_number(ctx: restate.ObjectContext) -> str:
        return repr(await Number.get(ctx))

    @box.handler(name="set_cart")
    async def set_cart(ctx: restate.ObjectContext, which: str) -> str:
        item: Any = Item(sku="a", price=1.0) if which == "ok" else {"sku": "b", "price": float("nan")}
        if which == "wrong":
            item = Item.model_construct(sku=7, price=1.0)  # a model that skipped validation
        Cart.set(ctx, [Item(sku="first", price=2.0), item])
        return "written"


_handlers(strict_box)
_handlers(warn_box)


@pytest.fixture(scope="module")
def restate_app():
    return rea_runtime.app([strict_box, warn_box])


@pytest.mark.parametrize("which", sorted(BAD))
async def test_strict_refuses_naming_entry_and_field(restate_env, which: str) -> None:
    key = restate_env.unique()
    resp = await restate_env.call("StateStrict", "set_number", which, key=key)
    assert resp.status_code == 500, resp.text
    assert "State('number').set(...) in StateStrict" in resp.text
    assert ("JSON has no NaN or infinity" if which != "text" else "Input should be a valid number") in resp.text
    assert (await restate_env.call("StateStrict", "get_number", key=key)).json() == "None"  # nothing written


async def test_strict_names_the_nested_field(restate_env) -> None:
    key = restate_env.unique()
    resp = await restate_env.call("StateStrict", "set_cart", "nan", key=key)
    assert resp.status_code == 500 and "field [1].price is nan" in resp.text, resp.text
    resp = await restate_env.call("StateStrict", "set_cart", "wrong", key=key)
    assert resp.status_code == 500 and "field [1].sku" in resp.text, resp.text
    assert (await restate_env.call("StateStrict", "set_cart", "ok", key=key)).json() == "written"


@pytest.mark.parametrize("which", ["nan", "inf", "-inf"])
async def test_warn_writes_non_finite_as_the_sdk_does_not_as_null(restate_env, which: str) -> None:
    key = restate_env.unique()
    with structlog.testing.capture_logs() as logs:
        assert (await restate_env.call("StateWarn", "set_number", which, key=key)).json() == "written"
    read = (await restate_env.call("StateWarn", "get_number", key=key)).json()
    assert read == repr(BAD[which]) and read != "None"  # main stored null and read back None
    rows = restate_env.query(f"SELECT value_utf8 FROM state WHERE service_name = 'StateWarn' AND service_key = '{key}'")
    assert [r["value_utf8"] for r in rows] == [{"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[which]]
    del logs  # logged once per entry per process: see the next test


async def test_warn_logs_once_per_entry(restate_env) -> None:
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            key = restate_env.unique()
            assert (await restate_env.call("StateWarn", "set_cart", "nan", key=key)).json() == "written"
    warned = [e["event"] for e in logs if "State('cart')" in e.get("event", "")]
    assert len(warned) == 1 and "field [1].price is nan" in warned[0] and "written as the SDK would" in warned[0]
    assert math.isnan(Cart.serde.deserialize(b'[{"sku":"a","price":NaN}]')[0].price)
