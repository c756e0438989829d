"""State budgets on a real restate-server: every write path (`ctx.set` through the guarded
context and `State.set`) against the per-entry budget, and the total per key, in strict and
warn, with the gauges."""

from __future__ import annotations

import pydantic
import pytest
import restate
import structlog
from prometheus_client import REGISTRY
from restate.serde import BytesSerde, JsonSerde

import rea_runtime
from rea_runtime import State

NOTE = State("note", str)


class Item(pydantic.BaseModel):
    name: str
    qty: int


def _object(policy: str) -> rea_runtime.VirtualObject:
    obj = rea_runtime.VirtualObject(
        f"Budget_{policy}", policy=policy,
        preset=rea_runtime.preset("high-volume", state_budget_bytes=50, state_total_budget_bytes=120),
    )

    @obj.handler()
    async def put(ctx: restate.ObjectContext, req: dict) -> str:
        ctx.set(req["name"], "x" * req["size"])  # "x"*n serializes to n + 2 bytes
        return "written"

    @obj.handler()
    async def put_state(ctx: restate.ObjectContext, size: int) -> str:
        NOTE.set(ctx, "y" * size)
        return "written"

    @obj.handler()
    async def drop(ctx: restate.ObjectContext, name: str) -> None:
        ctx.clear(name)

    @obj.handler()
    async def put_item(ctx: restate.ObjectContext, req: dict) -> str:
        ctx.set("item", Item(**req))  # the SDK's DefaultSerde, typed by the value: a model's JSON
        ctx.set("plain", req, serde=JsonSerde())  # a serde given as a keyword
        ctx.set("pos", req, JsonSerde(), None)  # serde and entry_name given positionally
        return "written"

    @obj.handler(kind="shared")
    async def raw(ctx: restate.ObjectSharedContext, name: str) -> str:
        return (await ctx.get(name, serde=BytesSerde()) or b"").decode()

    @obj.handler(kind="shared")
    async def sizes(ctx: restate.ObjectSharedContext) -> dict:
        return {k: len(await ctx.get(k, type_hint=str) or "") for k in sorted(await ctx.state_keys())}

    return obj


@pytest.fixture(scope="module")
def restate_app():
    return restate.app([_object("strict"), _object("warn")])


def _gauge(name: str, labels: dict) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def _put(env, policy: str, key: str, name: str, size: int):
    return await env.call(f"Budget_{policy}", "put", {"name": name, "size": size}, key=key)


async def test_strict_refuses_a_ctx_set_over_the_entry_budget_before_it_is_written(restate_env):
    key = restate_env.unique()
    resp = await _put(restate_env, "strict", key, "big", 60)
    assert resp.status_code == 500 and "'big' of Budget_strict is 62 bytes, over its budget of 50" in resp.text
    assert (await restate_env.call("Budget_strict", "sizes", key=key)).json() == {}
    assert _gauge("rea_state_size_bytes", {"service": "Budget_strict", "state": "big"}) == 62


async def test_strict_refuses_a_write_that_takes_the_key_over_its_total(restate_env):
    key = restate_env.unique()
    for name in ("a", "b"):
        assert (await _put(restate_env, "strict", key, name, 40)).status_code == 200
    assert _gauge("rea_state_total_bytes", {"service": "Budget_strict"}) == 84
    resp = await _put(restate_env, "strict", key, "c", 40)  # 126 > 120
    assert resp.status_code == 500, resp.text
    assert "would be 126 bytes after set('c'), over its total budget of 120" in resp.json()["message"]
    assert (await restate_env.call("Budget_strict", "sizes", key=key)).json() == {"a": 40, "b": 40}
    # State.set counts toward the same total, and a clear makes room again
    assert (await restate_env.call("Budget_strict", "put_state", 40, key=key)).status_code == 500
    assert (await restate_env.call("Budget_strict", "drop", "a", key=key)).status_code == 200
    assert (await restate_env.call("Budget_strict", "put_state", 40, key=key)).status_code == 200
    assert (await restate_env.call("Budget_strict", "sizes", key=key)).json() == {"b": 40, "note": 40}
    assert _gauge("rea_state_total_bytes", {"service": "Budget_strict"}) == 84


async def test_warn_logs_once_and_writes_everything(restate_env):
    key = restate_env.unique()
    with structlog.testing.capture_logs() as logs:
        for name in ("a", "b", "c"):
            assert (await _put(restate_env, "warn", key, name, 45)).status_code == 200
        assert (await _put(restate_env, "warn", key, "d", 55)).status_code == 200
    assert (await restate_env.call("Budget_warn", "sizes", key=key)).json() == {"a": 45, "b": 45, "c": 45, "d": 55}
    messages = [e["event"] for e in logs if e.get("log_level") == "warning"]
    assert len([m for m in messages if "total budget of 120" in m]) == 1
    assert len([m for m in messages if "'d' of Budget_warn is 57 bytes, over its budget of 50" in m]) == 1
    assert _gauge("rea_state_total_bytes", {"service": "Budget_warn"}) == 47 * 3 + 57


@pytest.mark.parametrize("policy", ["strict", "warn"])
async def test_a_measured_ctx_set_stores_what_the_sdk_would_store(restate_env, policy):
    """Measuring serializes once and hands those bytes to the SDK: a model, a serde keyword and
    positional serde/entry_name are stored byte for byte as the SDK stores them without rea."""
    key = restate_env.unique()
    req = {"name": "ab", "qty": 1}
    resp = await restate_env.call(f"Budget_{policy}", "put_item", req, key=key)
    assert resp.status_code == 200, resp.text
    stored = {n: (await restate_env.call(f"Budget_{policy}", "raw", n, key=key)).json() for n in ("item", "plain", "pos")}
    assert stored == {"item": Item(**req).model_dump_json(), "plain": JsonSerde().serialize(req).decode(),
                      "pos": JsonSerde().serialize(req).decode()}
    assert _gauge("rea_state_size_bytes", {"service": f"Budget_{policy}", "state": "item"}) == len(stored["item"])
