"""Correct handlers under always_replay (the server suspends at every await and replays), the
typed helpers on real journals, and REA401 (a swallowed suspension) in each policy."""

from __future__ import annotations

import collections
import time
import uuid
from datetime import timedelta
from typing import Optional

import pytest
import restate
import structlog
from pydantic import BaseModel

import rea_runtime
from rea_runtime import State, TypeAdapterSerde, deterministic, run, run_typed

from ._markers import where

HERE = __file__
ENTRIES: collections.Counter[str] = collections.Counter()


class Item(BaseModel):
    sku: str
    qty: int


CART = State("cart", list[Item], default=[])
FAVOURITE = State("favourite", Optional[Item])
BY_SKU = State("by_sku", dict[str, Item], default={})

cart = rea_runtime.VirtualObject("Cart", policy="strict")


@cart.handler(output_serde=TypeAdapterSerde(list[Item]))  # the SDK's default cannot write list[Model]
async def add(ctx: restate.ObjectContext, item: Item) -> list[Item]:
    items = await CART.get(ctx)
    assert items is not None and all(isinstance(i, Item) for i in items)
    items.append(item)
    CART.set(ctx, items)
    FAVOURITE.set(ctx, item if item.qty > 1 else None)
    by_sku = await BY_SKU.get(ctx) or {}
    by_sku[item.sku] = item
    BY_SKU.set(ctx, by_sku)
    return items


@cart.handler(kind="shared")
async def describe(ctx: restate.ObjectSharedContext) -> dict:
    items = await CART.get(ctx) or []
    fav = await FAVOURITE.get(ctx)
    by_sku = await BY_SKU.get(ctx) or {}
    return {
        "types": sorted({type(i).__name__ for i in items} | {type(v).__name__ for v in by_sku.values()}),
        "favourite": type(fav).__name__,
        "skus": sorted(by_sku),
        "total": sum(i.qty for i in items),
    }


@cart.handler(kind="shared")
async def sneaky_write(ctx: restate.ObjectSharedContext) -> str:
    CART.set(ctx, [])  # type: ignore[arg-type]  # <- REA202.state
    return "wrote"


flows = rea_runtime.Service("Flows", policy="strict")


@flows.handler()
async def correct(ctx: restate.Context, order: str) -> dict:
    """Every durable primitive, with side effects only in runs; replayed at every await."""
    ENTRIES[ctx.request().id] += 1

    def fetch_price() -> float:
        time.time()  # fine in a run action
        return 9.5

    price = await run_typed(ctx, "price", fetch_price, max_attempts=3)
    token = await run(ctx, "token", lambda: str(uuid.uuid4()))
    a, b = ctx.run_typed("a", lambda: 1), ctx.run_typed("b", lambda: 2)
    await restate.gather(a, b)
    await ctx.sleep(timedelta(milliseconds=10))
    pick = deterministic.choice(ctx, ["x", "y", "z"])
    order_of = deterministic.shuffle(ctx, [1, 2, 3, 4])
    stamp = await deterministic.now(ctx)
    return {
        "price": price,
        "token_len": len(token),
        "sum": await a + await b,
        "pick_ok": pick in "xyz",
        "perm": sorted(order_of) == [1, 2, 3, 4],
        "year_ok": stamp.year >= 2024,
        "key": deterministic.idempotency_key("refund", order),
    }


class Unjournalable:
    pass


@flows.handler()
async def bad_result(ctx: restate.Context) -> str:
    await run(ctx, "make thing", lambda: Unjournalable())
    return "unreachable"


def _swallower(policy: str) -> rea_runtime.Service:
    svc = rea_runtime.Service(f"Swallow_{policy}", policy=policy)

    @svc.handler()
    async def swallow(ctx: restate.Context) -> str:
        try:
            await ctx.sleep(timedelta(milliseconds=50))  # <- REA401
        except BaseException:
            pass
        return "swallowed"

    return svc


@pytest.fixture(scope="module")
def restate_options() -> dict:
    return {"always_replay": True}


@pytest.fixture(scope="module")
def restate_app():
    return restate.app([cart, flows, *(_swallower(p) for p in ("strict", "warn", "disabled"))])


async def test_correct_handler_passes_under_always_replay(restate_env):
    with structlog.testing.capture_logs() as logs:
        resp = await restate_env.call("Flows", "correct", "o-1")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body == {
        "price": 9.5, "token_len": 36, "sum": 3, "pick_ok": True, "perm": True, "year_ok": True,
        "key": deterministic.idempotency_key("refund", "o-1"),
    }
    assert not [e for e in logs if "code" in e]
    # It really was replayed: the handler was entered once per suspension, not once.
    assert ENTRIES[resp.headers["x-restate-id"]] >= 3


async def test_state_typeadapter_roundtrips_list_optional_and_dict_of_models(restate_env):
    key = restate_env.unique("cart")
    r1 = await restate_env.call("Cart", "add", {"sku": "a", "qty": 2}, key=key)
    assert r1.status_code == 200, r1.text
    r2 = await restate_env.call("Cart", "add", {"sku": "b", "qty": 1}, key=key)
    assert r2.status_code == 200, r2.text
    assert r2.json() == [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]
    desc = await restate_env.call("Cart", "describe", key=key)
    assert desc.status_code == 200, desc.text
    # Models come back as models (the SDK's default serde would give dicts), None as None.
    assert desc.json() == {"types": ["Item"], "favourite": "NoneType", "skus": ["a", "b"], "total": 3}


async def test_state_write_from_shared_context_is_refused(restate_env):
    resp = await restate_env.call("Cart", "sneaky_write", key=restate_env.unique("cart"))
    assert resp.status_code == 500
    assert resp.json()["message"].startswith("REA202 state-write-in-shared-handler")


async def test_run_with_unserializable_result_fails_naming_the_run(restate_env):
    resp = await restate_env.call("Flows", "bad_result")
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith("run 'make thing': the action's result is Unjournalable "), message
    assert "which the run's serde cannot write (TypeError: " in message, message


async def test_rea401_strict_fails_the_invocation(restate_env):
    resp = await restate_env.call("Swallow_strict", "swallow")
    assert resp.status_code == 500, resp.text
    message = resp.json()["message"]
    assert message.startswith("REA401 broad-except: ")
    assert f"at {where(HERE, 'REA401')};" in message


async def test_rea401_warn_logs_and_restores_the_suspension(restate_env):
    with structlog.testing.capture_logs() as logs:
        resp = await restate_env.call("Swallow_warn", "swallow")
    assert resp.status_code == 200 and resp.json() == "swallowed"
    ours = [e for e in logs if e.get("code") == "REA401"]
    assert len(ours) == 1 and ours[0]["location"] == where(HERE, "REA401")


async def test_rea401_disabled_is_untouched(restate_env):
    with structlog.testing.capture_logs() as logs:
        resp = await restate_env.call("Swallow_disabled", "swallow")
    assert resp.status_code == 200
    assert not [e for e in logs if "code" in e]
