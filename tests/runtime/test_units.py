"""Unit tests where a server adds nothing: policy resolution, import isolation, discovery
schema of the drop-ins, guard scoping, helpers."""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from typing import Optional

import pytest
import restate
from pydantic import BaseModel
from restate.discovery import compute_discovery_json
from restate.endpoint import Endpoint

import rea_runtime
from rea_lint.catalog import RULES
from rea_lint.config import ConfigError
from rea_runtime import deterministic, policy
from rea_runtime.guards import CURRENT, IN_RUN, Invocation
from rea_runtime.serde import TypeAdapterSerde


# --- policy ---------------------------------------------------------------------------------


def test_default_is_warn_and_strict_on_ci(clean_policy, monkeypatch):
    assert policy.current_policy().for_rule("REA101") == "warn"
    monkeypatch.setenv("CI", "true")
    policy.reset()
    assert policy.current_policy().for_rule("REA101") == "strict"


def test_pyproject_then_env_then_code(clean_policy, monkeypatch):
    (clean_policy / "pyproject.toml").write_text(
        '[tool.rea.runtime]\npolicy = "disabled"\nrules = {REA202 = "strict"}\n'
    )
    policy.reset()
    p = policy.current_policy()
    assert (p.for_rule("REA101"), p.for_rule("REA202")) == ("disabled", "strict")
    monkeypatch.setenv("REA_POLICY", "warn,REA105=disabled")
    policy.reset()
    p = policy.current_policy()
    # A more specific default replaces the less specific level's per-rule settings.
    assert (p.for_rule("REA101"), p.for_rule("REA202"), p.for_rule("REA105")) == ("warn", "warn", "disabled")
    p = policy.configure(rules={"REA101": "strict"})
    assert (p.for_rule("REA101"), p.for_rule("REA105")) == ("strict", "disabled")


def test_bad_policy_values_name_the_source(clean_policy, monkeypatch):
    monkeypatch.setenv("REA_POLICY", "loud")
    policy.reset()
    with pytest.raises(ConfigError, match="REA_POLICY: 'loud' is not one of"):
        policy.current_policy()
    with pytest.raises(ConfigError, match="unknown rule code 'REA999'"):
        policy.parse_policy_spec("REA999=strict")


# --- isolation and discovery ---------------------------------------------------------------


def test_importing_rea_runtime_does_not_import_the_linter_deps():
    code = (
        "import sys, rea_runtime, rea_runtime.testing; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flake8', 'libcst', 'mypy')); "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class Order(BaseModel):
    id: str
    amount: int


def _discovery(*services) -> dict:
    ep = Endpoint()
    ep.bind(*services)
    return json.loads(compute_discovery_json(ep, 5, "bidi"))


def _define(mod):
    svc = mod.Service("Orders")

    @svc.handler(name="place", inactivity_timeout=timedelta(seconds=5))
    async def place(ctx: restate.Context, order: Order) -> Order:
        """Places an order."""
        return order

    obj = mod.VirtualObject("Account")

    @obj.handler(kind="shared")
    async def balance(ctx: restate.ObjectSharedContext) -> Optional[int]:
        return None

    wf = mod.Workflow("Signup")

    @wf.main()
    async def run(ctx: restate.WorkflowContext, email: str) -> bool:
        return True

    @wf.handler()
    async def status(ctx: restate.WorkflowSharedContext) -> str:
        return "ok"

    return svc, obj, wf, place


def test_drop_ins_publish_the_same_discovery_schema_as_the_sdk():
    ours = _define(rea_runtime)
    theirs = _define(restate)
    assert _discovery(*ours[:3]) == _discovery(*theirs[:3])
    # and the app accepts them
    restate.app(list(ours[:3]))
    # the registered handler keeps its name, docs and pydantic serde
    assert ours[3].__name__ == "place"
    from restate.handler import handler_from_callable

    h = handler_from_callable(ours[3])
    assert h.name == "place" and h.description == "Places an order."
    assert type(h.handler_io.input_serde).__name__ == "PydanticJsonSerde"


def test_guarded_decorator_rejects_sync_handlers():
    with pytest.raises(TypeError, match="must be `async def`"):
        rea_runtime.guarded(lambda ctx: None)


# --- guard scoping and cost ----------------------------------------------------------------


class _FakeCtx:
    """Only what Invocation reads (`request().id`); no Restate behaviour is simulated."""

    class _R:
        id = "inv_unit"

    def request(self):
        return self._R()


def _in_handler(fn, policy_name="strict"):
    inv = Invocation(_FakeCtx(), None, policy.Policy(policy_name), "unit")
    token = CURRENT.set(inv)
    try:
        return fn()
    finally:
        CURRENT.reset(token)


def test_hooks_flag_user_code_in_handler_scope_only():
    rea_runtime.guards.install()
    with pytest.raises(restate.TerminalError, match=r"^REA101 time-in-handler: .*test_units.py:\d+"):
        _in_handler(lambda: time.time())
    # a run action's scope is not flagged
    def in_run():
        token = IN_RUN.set("r")
        try:
            return time.time()
        finally:
            IN_RUN.reset(token)

    assert _in_handler(in_run) > 0
    # a library reading the clock on the handler's behalf is not flagged (logging does)
    import logging

    _in_handler(lambda: logging.LogRecord("x", 20, __file__, 1, "m", None, None))
    # outside any handler nothing is flagged
    assert time.time() > 0 and 0 <= random.random() < 1


def test_hooks_take_the_fast_path_outside_handlers(monkeypatch):
    """Outside a handler (and inside a run action) a hooked call is one contextvar read and the
    original: no frame is looked at. Its cost is a benchmark target (`python -m benchmarks`)."""
    rea_runtime.guards.install()
    looked_at = []
    real = rea_runtime.guards.user_frame
    monkeypatch.setattr(rea_runtime.guards, "user_frame", lambda *a: looked_at.append(a) or real(*a))
    for _ in range(10):
        time.time(), random.random(), time.time_ns()
    assert looked_at == []

    def in_run():
        token = IN_RUN.set("r")
        try:
            return time.time()
        finally:
            IN_RUN.reset(token)

    assert isinstance(_in_handler(in_run), float) and looked_at == []
    with pytest.raises(restate.TerminalError, match="REA101"):  # the slow path is the one that reports
        _in_handler(lambda: time.time())
    assert len(looked_at) == 1


_INVOCATION_IDS = itertools.count()


def _logged(fn, rules=None):
    """(code, message without its location) of each warning one simulated invocation of its own
    (warn is once per invocation and rule) logs while ``fn`` runs in its handler scope."""
    import structlog

    class Ctx:
        invocation_id = f"inv_unit_{next(_INVOCATION_IDS)}"

        def request(self):
            return self

        @property
        def id(self):
            return self.invocation_id

    inv = Invocation(Ctx(), None, policy.Policy("warn", rules or {}), "unit")
    token = CURRENT.set(inv)
    try:
        with structlog.testing.capture_logs() as logs:
            fn()
    finally:
        CURRENT.reset(token)
    return [(e["code"], e["event"].split(" (at ")[0]) for e in logs if "code" in e]


def test_a_hooked_call_inside_another_is_reported_once_by_the_outer_hook():
    """`uuid.uuid4()` reads the hooked `os.urandom`, `secrets.token_hex()` the hooked
    `secrets.token_bytes()`: the inner hook's caller is the stdlib, so only the call the handler
    made is reported, once, by its own name; the inner function called by the handler itself
    is still reported."""
    import os
    import secrets
    import uuid

    rea_runtime.guards.install()
    assert os.urandom.__rea_original__ and uuid.uuid4.__rea_original__ and secrets.token_bytes.__rea_original__
    cases = {  # what the handler calls -> the one rule and subject reported
        "uuid4": (lambda: uuid.uuid4(), "REA103", "uuid.uuid4()"),
        "urandom": (lambda: os.urandom(16), "REA102", "os.urandom()"),
        "token_hex": (lambda: secrets.token_hex(8), "REA102", "secrets.token_hex()"),
        "token_bytes": (lambda: secrets.token_bytes(8), "REA102", "secrets.token_bytes()"),
    }
    for name, (call, code, subject) in cases.items():
        assert _logged(call) == [(code, RULES[code].render(subject=subject, ctx="ctx"))], name
    # strict: the outer call fails, naming it and the handler's line
    rendered = re.escape(RULES["REA103"].render(subject="uuid.uuid4()", ctx="ctx"))
    with pytest.raises(restate.TerminalError, match=rf"^{rendered} \(at .*test_units\.py:\d+;"):
        _in_handler(lambda: uuid.uuid4())
    # the rule of the outer call disabled: the inner one does not stand in for it
    assert _logged(lambda: uuid.uuid4(), {"REA103": "disabled"}) == []
    assert _logged(lambda: secrets.token_hex(4), {"REA102": "disabled"}) == []
    # outside handlers and in run actions, neither hook reports
    import structlog

    with structlog.testing.capture_logs() as logs:
        uuid.uuid4(), os.urandom(4), secrets.token_hex(4)

        def in_run():
            token = IN_RUN.set("r")
            try:
                return uuid.uuid4(), os.urandom(4), secrets.token_hex(4)
            finally:
                IN_RUN.reset(token)

        _in_handler(in_run, "strict")
    assert not [e for e in logs if "code" in e]


def test_hooks_keep_the_originals_signatures_and_refuse_what_they_refuse():
    """The hooks of functions that take no keyword arguments have none either (a `**kwargs`
    dict per call was half their cost): they accept and refuse the calls the originals do."""
    import inspect
    import os
    import uuid

    rea_runtime.guards.install()
    originals = {f: f.__rea_original__ for f in (time.time, time.time_ns, time.sleep, os.urandom,
                                                  random.random, random.getrandbits, uuid.uuid4, uuid.uuid1,
                                                  random.randint)}
    for hooked, orig in originals.items():
        assert hooked.__name__ == orig.__name__ and hooked.__wrapped__ is orig
    assert inspect.signature(os.urandom) == inspect.signature(os.urandom.__rea_original__)
    assert len(os.urandom(5)) == 5 and random.getrandbits(8) < 256 and uuid.uuid4().version == 4
    assert uuid.uuid1(node=1, clock_seq=2).node == 1 and 1 <= random.randint(a=1, b=2) <= 2  # keywords still pass
    refused = [lambda: os.urandom(size=5), lambda: os.urandom(), lambda: time.time(1), lambda: time.time(x=1),
               lambda: uuid.uuid4(1), lambda: random.random(x=1), lambda: time.sleep(seconds=0)]
    for call in refused:
        with pytest.raises(TypeError):
            call()
    assert rea_runtime.guards._arity(os.urandom.__rea_original__) == 1
    assert rea_runtime.guards._arity(uuid.uuid4.__rea_original__) == 0
    assert rea_runtime.guards._arity(uuid.uuid1.__rea_original__) is None
    try:  # C functions without a signature to read (`time.time` before 3.13): `_patch` is told their arity
        inspect.signature(time.time.__rea_original__)
    except ValueError:
        assert rea_runtime.guards._arity(time.time.__rea_original__) is None
    else:
        assert rea_runtime.guards._arity(time.time.__rea_original__) == 0


class _Recorder:
    """A stand-in SDK context that hands back a fresh object per durable operation (no Restate
    behaviour): what the guarded context records about each one is under test."""

    handler = None

    def __getattr__(self, method):
        if method == "scope":
            return lambda name: self
        if method == "promise":
            return lambda name: type("P", (), {"value": lambda s: object()})()
        return lambda *a, **k: object()


_targets = restate.Service("UnitTargets")
_objects = restate.VirtualObject("UnitObjects")


@_targets.handler()
async def _target(ctx: restate.Context, n: int) -> int:
    return n


@_objects.handler()
async def _object_target(ctx: restate.ObjectContext, n: int) -> int:
    return n


def test_durable_ops_are_described_with_their_line_only_when_read():
    """(Calls target registered handlers: the guarded context refuses anything else, which the
    SDK would fail on with an error retried forever.)"""
    from rea_runtime.context import GuardedContext

    inv = Invocation(_Recorder(), "exclusive", policy.Policy("warn"), "unit")
    g = GuardedContext(_Recorder(), inv)
    line = sys._getframe().f_lineno
    g.get("n{1}")
    g.run_typed("step", _action, n=1)
    g.sleep(timedelta(seconds=1))
    g.service_call(_target, arg=1)
    g.scope("tenant").object_call(_object_target, key="k", arg=1)
    g.promise("p").value()
    g.object_send(_object_target, key="k", arg=1)  # a send is no future to await: not recorded
    here = __file__
    assert list(inv.futures) == [
        (inv.futures[0][0], "ctx.get('n{1}')", (here, line + 1)),
        (inv.futures[1][0], "ctx.run_typed('step', ...)", (here, line + 2)),
        (inv.futures[2][0], "ctx.sleep(...)", (here, line + 3)),
        (inv.futures[3][0], "ctx.service_call(...)", (here, line + 4)),
        (inv.futures[4][0], "ctx.scope('tenant').object_call(...)", (here, line + 5)),
        (inv.futures[5][0], "promise('p').value()", (here, line + 6)),
    ]


def _action(n):
    return IN_RUN.get(), n


async def _async_action(n):
    return IN_RUN.get(), n


def test_run_action_wrappers_are_reused_only_for_functions_that_capture_nothing():
    from rea_runtime import context

    wrapped = context.wrap_action(_action, "r")
    assert context.wrap_action(_action, "r") is wrapped  # made once: wraps is costly per call
    assert wrapped(1) == ("r", 1) and IN_RUN.get() is None
    assert wrapped.__wrapped__ is _action and wrapped.__name__ == "_action"
    renamed = context.wrap_action(_action, "other")
    assert renamed is not wrapped and renamed(2) == ("other", 2)
    import asyncio
    import inspect

    wrapped_async = context.wrap_action(_async_action, "a")
    assert inspect.iscoroutinefunction(wrapped_async) and context.wrap_action(_async_action, "a") is wrapped_async
    assert asyncio.run(wrapped_async(3)) == ("a", 3)
    # a lambda or closure is new at every call and may hold the invocation's data: not kept
    first = context.wrap_action(lambda: IN_RUN.get(), "l")
    assert first() == "l" and context.wrap_action(lambda: 1, "l") is not first
    assert all(fn.__closure__ is None and "<" not in fn.__qualname__ for fn in context._WRAPPED)
    assert context.wrap_action(wrapped, "r") is wrapped  # already wrapped


# --- helpers -------------------------------------------------------------------------------


class _SeededCtx:
    def __init__(self, seed):
        self._r = random.Random(seed)

    def random(self):
        return self._r


def test_deterministic_helpers_repeat_for_the_same_seed():
    a, b = _SeededCtx(7), _SeededCtx(7)
    assert deterministic.choice(a, "abcdef") == deterministic.choice(b, "abcdef")
    assert deterministic.sample(a, range(100), 5) == deterministic.sample(b, range(100), 5)
    assert deterministic.shuffle(a, list(range(10))) == deterministic.shuffle(b, list(range(10)))
    k = deterministic.idempotency_key("refund", "o-1", 42)
    assert k == deterministic.idempotency_key("refund", "o-1", 42)
    assert k != deterministic.idempotency_key("refund", "o-2", 42)
    with pytest.raises(ValueError):
        deterministic.idempotency_key()


def test_typeadapter_serde_handles_what_the_default_serde_cannot():
    from restate.serde import DefaultSerde

    items = [Order(id="a", amount=1), Order(id="b", amount=2)]
    with pytest.raises(TypeError):
        DefaultSerde(list[Order]).serialize(items)  # the SDK's limitation this fixes
    for tp, value in ((list[Order], items), (Optional[Order], None), (Optional[Order], items[0]),
                      (dict[str, Order], {"a": items[0]})):
        serde = TypeAdapterSerde(tp)
        assert serde.deserialize(serde.serialize(value)) == value


def test_run_requires_a_name():
    with pytest.raises(restate.TerminalError, match="the run name is str ''; fix: a non-empty str"):
        rea_runtime.run(object(), "", lambda: 1)


def test_state_writes_from_shared_contexts_are_type_errors(tmp_path):
    """`State.set` takes only exclusive contexts; mypy rejects a shared one."""
    src = tmp_path / "snippet.py"
    src.write_text(textwrap.dedent(
        """
        import restate
        from rea_runtime import State

        COUNT = State("count", int)

        async def ok(ctx: restate.ObjectContext) -> None:
            COUNT.set(ctx, 1)

        async def bad(ctx: restate.ObjectSharedContext) -> None:
            COUNT.set(ctx, 1)
            await COUNT.get(ctx)
        """
    ))
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--follow-imports=silent",
         "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"), str(src)],
        capture_output=True, text=True,
    )
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, out.stdout
    assert "snippet.py:11:" in errors[0] and "ObjectSharedContext" in errors[0]


def test_io_and_threads_started_via_libraries_are_traced_back_to_handler_code():
    import concurrent.futures

    rea_runtime.guards.install()
    with pytest.raises(restate.TerminalError, match=r"^REA108 io-in-handler: `subprocess.Popen\(\)`.*test_units.py"):
        _in_handler(lambda: subprocess.run(["true"]))
    with pytest.raises(restate.TerminalError, match=r"^REA110 thread-in-handler: `ThreadPoolExecutor\(\)`"):
        _in_handler(lambda: concurrent.futures.ThreadPoolExecutor(1))
    # warn: the call goes through
    assert _in_handler(lambda: subprocess.run(["true"]).returncode, "warn") == 0


def test_pytest_plugin_loads_without_importing_the_runtime_stack():
    """The pytest11 entry point loads in every pytest run, even where only the linter is installed."""
    code = (
        "import sys, rea_runtime.testing.plugin; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'restate', 'httpx', 'pydantic', 'structlog', 'hypercorn'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_coroutine_handed_to_a_run_is_closed_once_reported():
    """The SDK calls a run's action, so a coroutine object handed to it never runs: once REA208
    reported it (strict raised, warn logged) it is closed, and Python adds no "coroutine ... was
    never awaited" warning on top; disabled leaves it untouched, as it would be without rea."""
    import inspect

    import structlog

    from rea_runtime.misuse import check_action

    async def charge() -> str:
        return "charged"

    states = {}
    for name in ("strict", "warn", "disabled"):
        coro = charge()
        inv = Invocation(_FakeCtx(), None, policy.Policy(name), "unit")
        with structlog.testing.capture_logs() as logs:
            try:
                check_action(inv, coro, "charge", sys._getframe())
            except restate.TerminalError as err:
                assert str(err).startswith("REA208 ")
        states[name] = (inspect.getcoroutinestate(coro), [e["code"] for e in logs if "code" in e])
        coro.close()
    assert states == {"strict": ("CORO_CLOSED", []), "warn": ("CORO_CLOSED", ["REA208"]),
                      "disabled": ("CORO_CREATED", [])}
