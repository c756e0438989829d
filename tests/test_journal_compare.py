"""`rea diff` verdicts over v1 -> v2 pairs of one handler (source only; the real-server
agreement corpus lives with `rea explain`'s tests)."""

from __future__ import annotations

import json
import textwrap

import pytest

from rea_lint.journal.compare import ProjectDiff, Verdict, compare_handlers, diff_projects
from rea_lint.journal.report import as_json
from rea_lint.journal.shape import inner_nodes, shapes_of_source, shapes_of_sources

PRELUDE = '''\
import restate
from datetime import timedelta
import somelib

svc = restate.Service("svc")
obj = restate.VirtualObject("obj")
wf = restate.Workflow("wf")


def work(x=0):
    return x


@svc.handler()
async def other(ctx: restate.Context, x: int) -> int:
    return x


@svc.handler()
async def other2(ctx: restate.Context, x: int) -> int:
    return x


@obj.handler()
async def add(ctx: restate.ObjectContext, x: int) -> int:
    return x

'''


def module(body: str, helpers: str = "", decorator: str = "@svc.handler()", ctx_type: str = "restate.Context") -> str:
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    return f"{PRELUDE}{textwrap.dedent(helpers)}\n\n{decorator}\nasync def h(ctx: {ctx_type}, req: dict) -> str:\n{body}\n    return 'ok'\n"


def verdict(v1: str, v2: str, helpers1: str = "", helpers2: str | None = None, decorator: str = "@svc.handler()", ctx_type: str = "restate.Context"):
    service = {"@svc": "svc", "@obj": "obj", "@wf.": "wf"}[decorator[:4] if decorator.startswith("@wf.") else decorator[:4]]
    old = shapes_of_source(module(v1, helpers1, decorator, ctx_type), "app.py")[(service, "h")]
    new = shapes_of_source(module(v2, helpers1 if helpers2 is None else helpers2, decorator, ctx_type), "app.py")[(service, "h")]
    return compare_handlers(old, new)


RUN_A = 'await ctx.run("a", lambda: 1)'
RUN_B = 'await ctx.run("b", lambda: 1)'

# (id, v1 body, v2 body, expected verdict, expected divergence index or None)
PAIRS = [
    ("identical", RUN_A, RUN_A, Verdict.COMPATIBLE, None),
    ("inside-run-lambda", 'await ctx.run("a", lambda: 1)', 'await ctx.run("a", lambda: 2 + 2)', Verdict.COMPATIBLE, None),
    ("appended-op", RUN_A, f"{RUN_A}\n{RUN_B}", Verdict.COMPATIBLE, None),
    ("appended-sleep", RUN_A, f"{RUN_A}\nawait ctx.sleep(timedelta(seconds=1))", Verdict.COMPATIBLE, None),
    ("sleep-duration", "await ctx.sleep(timedelta(seconds=1))\n" + RUN_A, "await ctx.sleep(timedelta(hours=3))\n" + RUN_A, Verdict.COMPATIBLE, None),
    ("send-delay", "ctx.service_send(other, 1, send_delay=timedelta(seconds=1))\n" + RUN_A,
     "ctx.service_send(other, 1, send_delay=timedelta(minutes=5))\n" + RUN_A, Verdict.COMPATIBLE, None),
    ("renamed-local", 'x = req["n"]\nawait ctx.service_call(other, x)', 'n = req["n"]\nawait ctx.service_call(other, n)', Verdict.COMPATIBLE, None),
    ("plain-code-change", f'print("hi")\n{RUN_A}\ny = 3', f'print("hello")\n{RUN_A}\ny = 4', Verdict.COMPATIBLE, None),
    ("uuid-random-added", RUN_A, f"u = ctx.uuid()\nr = ctx.random().random()\n{RUN_A}", Verdict.COMPATIBLE, None),
    ("if-without-ops-added", RUN_A, f'if req.get("x"):\n    print("x")\n{RUN_A}', Verdict.COMPATIBLE, None),
    ("run-result-branch-action-changed",
     'r = await ctx.run("a", lambda: 1)\nif r:\n    await ctx.run("b", lambda: 1)',
     'r = await ctx.run("a", lambda: 5)\nif r:\n    await ctx.run("b", lambda: 1)', Verdict.COMPATIBLE, None),
    ("append-inside-last-branch", f'if req["x"]:\n    {RUN_A}', f'if req["x"]:\n    {RUN_A}\n    {RUN_B}', Verdict.COMPATIBLE, None),
    ("time-unchanged", "t = await ctx.time()\n" + RUN_A, "now = await ctx.time()\n" + RUN_A, Verdict.COMPATIBLE, None),
    ("inserted-first", RUN_A, f"{RUN_B}\n{RUN_A}", Verdict.BREAKING, 1),
    ("removed-first", f"{RUN_B}\n{RUN_A}", RUN_A, Verdict.BREAKING, 1),
    ("removed-last", f"{RUN_A}\n{RUN_B}", RUN_A, Verdict.BREAKING, 2),
    ("reordered", f"{RUN_A}\n{RUN_B}", f"{RUN_B}\n{RUN_A}", Verdict.BREAKING, 1),
    ("renamed-run", f"{RUN_A}\n{RUN_B}", f'{RUN_A}\nawait ctx.run("b2", lambda: 1)', Verdict.BREAKING, 2),
    ("call-target", "await ctx.service_call(other, 1)", "await ctx.service_call(other2, 1)", Verdict.BREAKING, 1),
    ("call-key", 'await ctx.object_call(add, key="a", arg=1)', 'await ctx.object_call(add, key="b", arg=1)', Verdict.BREAKING, 1),
    ("call-to-send", "await ctx.service_call(other, 1)", "ctx.service_send(other, 1)", Verdict.BREAKING, 1),
    ("call-param", "await ctx.service_call(other, 1)", "await ctx.service_call(other, 2)", Verdict.BREAKING, 1),
    ("call-idempotency-key", "await ctx.service_call(other, 1)", 'await ctx.service_call(other, 1, idempotency_key="k")', Verdict.BREAKING, 1),
    ("generic-call-handler", 'await ctx.generic_call("svc", "other", b"1")', 'await ctx.generic_call("svc", "other2", b"1")', Verdict.BREAKING, 1),
    ("sleep-name", 'await ctx.sleep(timedelta(seconds=1), name="a")', 'await ctx.sleep(timedelta(seconds=1), name="b")', Verdict.BREAKING, 1),
    ("sleep-to-run", "await ctx.sleep(timedelta(seconds=1))", RUN_A, Verdict.BREAKING, 1),
    ("time-inserted", RUN_A, "t = await ctx.time()\n" + RUN_A, Verdict.BREAKING, 1),
    ("branch-condition", f'if req["n"] > 10:\n    {RUN_A}\n{RUN_B}', f'if req["n"] > 5:\n    {RUN_A}\n{RUN_B}', Verdict.BREAKING, 1),
    ("branch-inserted", RUN_A, f'if req["flag"]:\n    {RUN_B}\n{RUN_A}', Verdict.BREAKING, 1),
    ("loop-body-grows", f'for i in req["items"]:\n    {RUN_A}', f'for i in req["items"]:\n    {RUN_A}\n    {RUN_B}', Verdict.BREAKING, 2),
    ("loop-appended-after", f'for i in req["items"]:\n    {RUN_A}', f'for i in req["items"]:\n    {RUN_A}\n{RUN_B}', Verdict.COMPATIBLE, None),
    ("inserted-in-try", f"try:\n    {RUN_A}\n    {RUN_B}\nexcept Exception:\n    pass",
     f'try:\n    {RUN_A}\n    await ctx.run("c", lambda: 1)\n    {RUN_B}\nexcept Exception:\n    pass', Verdict.BREAKING, 2),
    ("computed-run-name-unchanged", 'for i in req["items"]:\n    await ctx.run(f"step-{i}", lambda: 1)',
     'for item in req["items"]:\n    await ctx.run(f"step-{item}", lambda: 1)', Verdict.COMPATIBLE, None),
    ("computed-run-name-changed", 'for i in req["items"]:\n    await ctx.run(f"step-{i}", lambda: 1)',
     'for i in req["items"]:\n    await ctx.run(f"step-{i + 1}", lambda: 1)', Verdict.UNKNOWN, None),
    # the known text around a computed name rules out every value the old name could take
    ("computed-run-name-prefix-changed", 'for i in req["items"]:\n    await ctx.run(f"step-{i}", lambda: 1)',
     'for i in req["items"]:\n    await ctx.run(f"step {i}", lambda: 1)', Verdict.BREAKING, 1),
    ("computed-key-against-literal", 'await ctx.run("results", lambda: 1)', 'await ctx.run("awk-" + req["k"], lambda: 1)', Verdict.BREAKING, 1),
    ("computed-name-suffix-changed", 'await ctx.run(req["k"] + ".v1", lambda: 1)', 'await ctx.run(req["k"] + ".v2", lambda: 1)', Verdict.BREAKING, 1),
    ("computed-name-literal-too-short", 'await ctx.run("ab", lambda: 1)', 'await ctx.run(f"ab{req[\'k\']}ab", lambda: 1)', Verdict.BREAKING, 1),
    ("computed-name-may-match-literal", 'await ctx.run("step-1", lambda: 1)', 'await ctx.run(f"step-{req[\'n\']}", lambda: 1)', Verdict.UNKNOWN, None),
    # run_typed's name is positional-only: `name=` is the action's keyword argument
    ("run-typed-name-keyword-is-the-actions", 'await ctx.run("generate", lambda: 1)',
     'await ctx.run_typed("notify", work, name=req["n"])', Verdict.BREAKING, 1),
    ("run-typed-name-keyword-unchanged", 'await ctx.run_typed("notify", work, name=req["n"])',
     'await ctx.run_typed("notify", work, name=req["m"])', Verdict.COMPATIBLE, None),
    ("literal-spelled-in-two", 'await ctx.run("step-1", lambda: 1)', 'await ctx.run("step-" + "1", lambda: 1)', Verdict.COMPATIBLE, None),
    ("unknown-library-changed", f"await somelib.do(ctx, 1)\n{RUN_A}", f"await somelib.do(ctx, 2)\n{RUN_A}", Verdict.UNKNOWN, None),
    ("unknown-library-same", f"await somelib.do(ctx, 1)\n{RUN_A}", f"await somelib.do(ctx, 1)\n{RUN_A}", Verdict.COMPATIBLE, None),
    ("unknown-library-then-insert", f"await somelib.do(ctx, 1)\n{RUN_A}", f"await somelib.do(ctx, 1)\n{RUN_B}\n{RUN_A}", Verdict.BREAKING, "inexact"),
    ("object-built-with-ctx", 's = somelib.Saga(ctx)\nawait s.step("a")', 's = somelib.Saga(ctx)\nawait s.step("a")\nawait s.step("b")', Verdict.COMPATIBLE, None),
    ("object-built-with-ctx-insert", 's = somelib.Saga(ctx)\nawait s.step("a")', 's = somelib.Saga(ctx)\nawait s.step("z")\nawait s.step("a")', Verdict.UNKNOWN, None),
    ("context-as-value", f"holder = [ctx]\n{RUN_A}", RUN_A, Verdict.UNKNOWN, None),
    ("context-as-value-same", f"holder = [ctx]\n{RUN_A}", f"holder = [ctx]\n{RUN_B}", Verdict.BREAKING, "inexact"),
    ("unknown-library-removed-last", f"{RUN_A}\nawait somelib.do(ctx, 1)", RUN_A, Verdict.UNKNOWN, None),
    # a dict spelled out in the code is a literal, in its order (the SDK sends headers, and JSON
    # writes a dict, in that order; the server compares both as bytes: p110, p112, p114)
    ("headers-changed", 'await ctx.service_call(other, 1, headers={"x-tenant": "a"})',
     'await ctx.service_call(other, 1, headers={"x-tenant": "b"})', Verdict.BREAKING, 1),
    ("headers-reordered", 'await ctx.service_call(other, 1, headers={"a": "1", "b": "2"})',
     'await ctx.service_call(other, 1, headers={"b": "2", "a": "1"})', Verdict.BREAKING, 1),
    ("headers-none-to-empty", "await ctx.service_call(other, 1)", "await ctx.service_call(other, 1, headers={})", Verdict.COMPATIBLE, None),
    ("headers-computed", 'await ctx.service_call(other, 1, headers={"x-tenant": req["t"]})',
     'await ctx.service_call(other, 1, headers={"x-tenant": req["u"]})', Verdict.UNKNOWN, None),
    # a rejection's failure, its code 500 unless given (p115, p116)
    ("reject-message", 'ctx.reject_awakeable("id", "no")', 'ctx.reject_awakeable("id", "nope")', Verdict.BREAKING, 1),
    ("reject-code", 'ctx.reject_awakeable("id", "no", 500)', 'ctx.reject_awakeable("id", "no", 400)', Verdict.BREAKING, 1),
    ("reject-default-code-spelled", 'ctx.reject_awakeable("id", "no")', 'ctx.reject_awakeable("id", "no", failure_code=500)',
     Verdict.COMPATIBLE, None),
    ("promise-reject-message", 'await ctx.promise("p").reject("no")', 'await ctx.promise("p").reject("nope")', Verdict.BREAKING, 1),
    # a literal a promise is resolved with is written as JSON by the SDK's serdes (p119)
    ("promise-resolved-literal", 'await ctx.promise("p").resolve("done")', 'await ctx.promise("p").resolve("finished")', Verdict.BREAKING, 1),
    ("promise-resolved-none-or-empty", 'await ctx.promise("p").resolve(None)', 'await ctx.promise("p").resolve("")', Verdict.BREAKING, 1),
    ("promise-resolved-literal-own-serde", 'await ctx.promise("p", serde=somelib.Serde()).resolve("done")',
     'await ctx.promise("p", serde=somelib.Serde()).resolve("finished")', Verdict.UNKNOWN, None),
    ("set-none-or-empty", 'ctx.set("k", None)', 'ctx.set("k", "")', Verdict.BREAKING, 1),
    ("resolved-now-rejected", 'ctx.resolve_awakeable("id", "no")', 'ctx.reject_awakeable("id", "no")', Verdict.BREAKING, 1),
    ("dict-parameter-value-type", 'await ctx.service_call(other, {"n": 1})', 'await ctx.service_call(other, {"n": True})', Verdict.BREAKING, 1),
]


@pytest.mark.parametrize("name,v1,v2,expected,index", PAIRS, ids=[p[0] for p in PAIRS])
def test_pair(name, v1, v2, expected, index):
    d = verdict(v1, v2)
    assert d.verdict is expected, d.reason
    if index == "inexact":  # after an opaque call the position in the journal is not known
        assert d.divergence is not None and d.divergence.index is None, d.reason
    elif index is not None:
        assert d.divergence is not None and d.divergence.index == index, d.reason


def test_headers_spelled_with_a_module_constant_are_that_literal():
    """`headers={"x-tenant": TENANT}` with `TENANT = "acme"` sends what `{"x-tenant": "acme"}` does."""
    constant = 'TENANT = "acme"\n'
    d = verdict('await ctx.service_call(other, 1, headers={"x-tenant": TENANT})',
                'await ctx.service_call(other, 1, headers={"x-tenant": "acme"})', constant, constant)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = verdict('await ctx.service_call(other, 1, headers={"x-tenant": TENANT})',
                'await ctx.service_call(other, 1, headers={"x-tenant": TENANT})', constant, 'TENANT = "other"\n')
    assert d.verdict is Verdict.BREAKING and "headers {'x-tenant': 'acme'} != {'x-tenant': 'other'}" in d.reason, d.reason


def test_headers_in_another_order_say_so():
    d = verdict('await ctx.service_call(other, 1, headers={"a": "1", "b": "2"})',
                'await ctx.service_call(other, 1, headers={"b": "2", "a": "1"})')
    assert "headers {'a': '1', 'b': '2'} != {'b': '2', 'a': '1'} (the same items in another order), and replay compares it" in d.reason, d.reason
    d = verdict('await ctx.service_call(other, {"n": 1})', 'await ctx.service_call(other, {"n": True})')
    assert d.reason.endswith("parameter {'n': 1} != {'n': True}, and replay compares it"), d.reason  # (equal in Python, not in JSON)


def test_a_constant_that_changed_inside_the_same_text_is_named_by_the_ends_it_gives():
    """`ctx.set("k", PREFIX + x)` with `PREFIX` now `"b"`: the text reads the same on both sides, so
    the reason names the literal text the value starts (or ends) with, not `PREFIX + x != PREFIX + x`."""
    checked = 0
    for body, old, new, says in (
            ('ctx.set("k", PREFIX + req["x"])', 'PREFIX = "a"', 'PREFIX = "b"',
             "value PREFIX + req['x'] now starts with 'b' where it started with 'a', and replay compares it"),
            ('ctx.set(req["x"] + SUFFIX, 1)', 'SUFFIX = "-a"', 'SUFFIX = "-b"',
             "key req['x'] + SUFFIX now ends with '-b' where it ended with '-a', and replay compares it"),
            ('ctx.set(PREFIX + req["x"] + SUFFIX, 1)', 'PREFIX = "a-"\nSUFFIX = "-z"', 'PREFIX = "b-"\nSUFFIX = "-z"',
             "key PREFIX + req['x'] + SUFFIX now starts with 'b-' and now ends with '-z' where it started with 'a-' and ended with '-z'")):
        d = obj_verdict(body, body, helpers1=old, helpers2=new)
        assert d.verdict is Verdict.BREAKING and says in d.reason, d.reason
        checked += 1
    assert checked == 3


def test_a_rejections_failure_is_named_as_the_server_compares_it():
    """The message and the code, 500 when none is given (restate-sdk 1.3's default)."""
    from rea_lint.journal.report import _field_json

    d = verdict('ctx.reject_awakeable("id", "no")', 'ctx.reject_awakeable("id", "nope", 400)')
    assert d.reason.endswith("value failure 'no', 500 != failure 'nope', 400, and replay compares it"), d.reason
    assert _field_json(d.divergence.new.get("value")) == {"failure": {"message": "nope", "code": 400}}


def test_pair_table_size():
    assert len(PAIRS) == 64
    kinds = {p[3] for p in PAIRS}
    assert kinds == {Verdict.COMPATIBLE, Verdict.BREAKING, Verdict.UNKNOWN}


# --- state, promises, helpers, kinds --------------------------------------------------------


def obj_verdict(v1: str, v2: str, **kw):
    return verdict(v1, v2, decorator="@obj.handler()", ctx_type="restate.ObjectContext", **kw)


def test_new_code_ending_where_the_old_hands_the_context_to_a_library_is_unknown():
    """The old code's last act passes the context to code rea cannot see (which may journal
    nothing); the new code ends there, by a return or by falling off its end. Not a crash
    (`rea diff` raised an AssertionError on four commits of restatedev/ai-examples), not
    breaking, not compatible: unknown, naming the old call."""
    for ending in ("    return 'ok'\n", ""):
        old = PRELUDE + f"@svc.handler()\nasync def h(ctx: restate.Context, req: dict):\n    {RUN_A}\n    await somelib.do(ctx)\n{ending}"
        new = PRELUDE + f"@svc.handler()\nasync def h(ctx: restate.Context, req: dict):\n    {RUN_A}\n{ending}"
        d = compare_handlers(shapes_of_source(old, "app.py")[("svc", "h")], shapes_of_source(new, "app.py")[("svc", "h")])
        assert d.verdict is Verdict.UNKNOWN, d.reason
        assert d.reason.startswith("the new code ends where the old code goes on"), d.reason
        line = old.splitlines().index("    await somelib.do(ctx)") + 1
        assert "`somelib.do()`" in d.reason and f"(app.py:{line})" in d.reason, d.reason


def test_state_key_changed_breaks():
    d = obj_verdict('v = await ctx.get("count")', 'v = await ctx.get("total")')
    assert d.verdict is Verdict.BREAKING and "key" in d.reason


def test_state_value_literal_changed_breaks():
    d = obj_verdict('ctx.set("k", 1)\n' + RUN_A, 'ctx.set("k", 2)\n' + RUN_A)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1


def test_state_value_computation_changed_is_unknown():
    d = obj_verdict('n = await ctx.get("n")\nctx.set("n", n + 1)', 'n = await ctx.get("n")\nctx.set("n", n + 2)')
    assert d.verdict is Verdict.UNKNOWN and "computed at run time" in d.reason


def test_a_value_mutated_in_place_before_it_is_set_is_compared_with_its_mutations():
    """`items.append(x)` before `ctx.set("items", items)` is part of the value replay compares:
    changing or deleting the mutation is not compatible (docs-restate 7f5bcc1cc4, rideco
    f4b3107442), nor is changing a store into it, a `del`, or a mutation through a loop over it."""
    sleep = "await ctx.sleep(timedelta(minutes=30))"
    before = 'items = await ctx.get("items") or []\nd = {"n": 1}\n'
    mutations = [
        ("items.append(req)", "", "items.append(req)\nitems.sort()"),
        ("items.extend([req])", "items.extend([req, req])", "items.extend([req]) if req else None"),
        ('d["k"] = req', 'd["k"] = 2', 'del d["k"]'),
        ('d["n"] += 1', 'd["n"] += 2', 'd.n = 1'),
        ('for line in items:\n    line["q"] += 1', 'for line in items:\n    line["q"] += 2', ""),
    ]
    for old, *news in mutations:
        for new in news:
            v1 = f'{before}{old}\nctx.set("items", items)\nctx.set("d", d)\n{sleep}'
            v2 = f'{before}{new}\nctx.set("items", items)\nctx.set("d", d)\n{sleep}'
            d = obj_verdict(v1, v2)
            assert d.verdict is Verdict.UNKNOWN and "computed at run time" in d.reason, (old, new, d.reason)
    # a condition read before the mutation is not changed by it: no break along `not items`
    cond = 'items = await ctx.get("items") or []\nif not items:\n    await ctx.run("first", work)\n    return "first"\n{m}\nctx.set("items", items)\n' + sleep
    d = obj_verdict(cond.format(m="items.append(req)"), cond.format(m="items.extend([req])"))
    assert d.verdict is Verdict.UNKNOWN and "ctx.set" in d.reason, d.reason
    # the same mutations, the variable renamed, or a statement that mutates nothing journaled: compatible
    same = obj_verdict(f'{before}items.append(req)\nctx.set("items", items)\n{sleep}',
                       f'cart = await ctx.get("items") or []\nd = {{"n": 1}}\ncart.append(req)\nprint(req)\nctx.set("items", cart)\n{sleep}')
    assert same.verdict is Verdict.COMPATIBLE, same.reason


def test_a_condition_on_a_read_state_value_is_decided_by_the_journal_though_the_value_is_changed_later():
    """`task = await ctx.get(key)`, `if task["status"] == "done": return`, then `task["status"] =
    "done"`: the store runs after the test read the value, so the test is still the journal's
    (the same entry replays the same value). With the key's helper changed, that entry may not
    match (unknown), but no invocation breaks along the test (biswaszin/restate-taskqueue-demo
    5ecc3976 was read as breaking, exit 1). A store above the test, or in a loop around it,
    still changes what the test reads."""
    body = 'key = norm(req)\ntask = await ctx.get(key)\nif task["status"] == "done":\n    return "already"\n{m}ctx.set(key, task)\n'
    old, new = "def norm(req):\n    return req\n", "def norm(req):\n    if req is None:\n        return ''\n    return req\n"
    d = obj_verdict(body.format(m='task["status"] = "done"\n'), body.format(m='task["status"] = "done"\n'), helpers1=old, helpers2=new)
    assert d.verdict is Verdict.UNKNOWN and "its key is computed at run time" in d.reason and "does not decide" not in d.reason, d.reason
    assert obj_verdict(body.format(m=""), body.format(m=""), helpers1=old, helpers2=new).verdict is Verdict.UNKNOWN
    # stored before the test: the test reads what the store made, which the journal does not hold
    before = 'key = norm(req)\ntask = await ctx.get(key)\ntask["status"] = stamp(req)\nif task["status"] == "done":\n    return "already"\nctx.set(key, task)\n'
    helpers = "def norm(req):\n    return req\n\n\ndef stamp(req):\n    return {v}\n"
    d = obj_verdict(before, before, helpers1=helpers.format(v="'done'"), helpers2=helpers.format(v="'new'"))
    assert d.verdict is Verdict.BREAKING and "does not decide" in d.reason, d.reason


def test_a_loop_over_a_journaled_value_runs_as_the_journal_decides_though_its_key_changed():
    """`items = await ctx.get(key(req)) or [...]`, then `for item in items:` (or a comprehension
    over it): with `key` changed the read may not match (unknown), but where it matches the loop
    runs as often as the recorded value has items, so no invocation breaks along the loop
    (gvdongen/resilient-research-agent 7cf4f5a2 was read as breaking). A loop that changes its
    iterable as it goes is not the journal's alone."""
    helpers = "def key(req):\n    return {v}\n"
    old, new = helpers.format(v="'items'"), helpers.format(v="'items' if req else 'none'")
    sleep = "await ctx.sleep(timedelta(minutes=30))"
    loops = [
        'items = await ctx.get(key(req)) or ["a", "b"]\nfor item in items:\n    await ctx.run("step", work)\n' + sleep,
        'items = await ctx.get(key(req)) or ["a", "b"]\ndone = [await ctx.run("step", work) for item in items]\n' + sleep,
        'items = await ctx.get(key(req)) or ["a", "b"]\nfor n, item in enumerate(items):\n    await ctx.run("step", work)\n' + sleep,
    ]
    for body in loops:
        d = obj_verdict(body, body, helpers1=old, helpers2=new)
        assert d.verdict is Verdict.UNKNOWN and "its key is computed at run time" in d.reason, (body, d.reason)
    grows = 'items = await ctx.get(key(req)) or ["a", "b"]\nfor item in items:\n    await ctx.run("step", work)\n    items.append(1)\n' + sleep
    d = obj_verdict(grows, grows, helpers1=old, helpers2=new)
    assert d.verdict is Verdict.BREAKING and "does not decide" in d.reason, d.reason


def test_a_loop_the_code_counts_iterates_that_often():
    """`for _ in range(2)` to `range(3)`: the third turn's run meets the recorded final one at
    index 3, whatever the journal holds: no way stops the new loop early (it was read as one
    that might, and named index 1, the first turn). A count written another way is the same
    loop; a count the caller passes is not the code's."""
    body = 'for _ in {it}:\n    await ctx.run("llm", work)\nawait ctx.run("final", work)'
    d = verdict(body.format(it="range(2)"), body.format(it="range(3)"))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3 and not d.divergence.assuming, d.reason
    d = verdict(body.format(it='("a", "b", "c")'), body.format(it='("a", "b")'))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3 and not d.divergence.assuming, d.reason
    for same in ("range(0, 2)", "range(1, 5, 2)", '["x", "y"]', '"ab"', "enumerate((1, 2))"):
        assert verdict(body.format(it="range(2)"), body.format(it=same)).verdict is Verdict.COMPATIBLE, same
    helper = 'async def turns(ctx, n: int = {n}):\n    for _ in range(n):\n        await ctx.run("llm", work)\n    await ctx.run("final", work)\n'
    d = verdict("await turns(ctx)", "await turns(ctx)", helpers1=helper.format(n=2), helpers2=helper.format(n=3))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3 and not d.divergence.assuming, d.reason
    d = verdict(body.format(it="range(req['n'])"), body.format(it="range(req['n'] + 1)"))
    assert d.verdict is Verdict.BREAKING and d.divergence.assuming, d.reason  # (the input decides it: not the code's count)


def test_a_comprehension_filter_is_a_test():
    """`[... for n in xs if n > 0]` to `if n > 5`: other items run the element, which the
    journal does not decide (it was read as compatible). Renaming the variable changes nothing."""
    body = 'xs = await ctx.run("xs", work)\ndone = [await ctx.run("step", work) for {v} in xs if {v} > {k}]\nawait ctx.run("end", work)'
    d = verdict(body.format(v="n", k=0), body.format(v="n", k=5))
    assert d.verdict is Verdict.BREAKING and "`n > 5`" in d.reason and "does not decide" in d.reason, d.reason
    assert verdict(body.format(v="n", k=0), body.format(v="m", k=0)).verdict is Verdict.COMPATIBLE
    # generators nested as `for` statements are: read the same way, to the same verdicts
    nested = 'xs = await ctx.run("xs", work)\ndone = [await ctx.run("step", work) for row in xs for n in row if n > {k}]\nawait ctx.run("end", work)'
    loops = ('xs = await ctx.run("xs", work)\nfor row in xs:\n    for n in row:\n        if n > {k}:\n            await ctx.run("step", work)\n'
             'await ctx.run("end", work)')
    for k, expected in ((0, Verdict.COMPATIBLE), (5, Verdict.UNKNOWN)):
        d, e = verdict(nested.format(k=0), nested.format(k=k)), verdict(loops.format(k=0), loops.format(k=k))
        assert d.verdict is e.verdict is expected and d.reason == e.reason, (k, d.reason, e.reason)


def test_a_match_capture_renamed_is_no_change():
    """`case ["decision", choice]` to `case ["decision", answer]` (and its uses): which case
    matches does not depend on what a capture is called (gvdongen/resilient-research-agent
    7cf4f5a2 was read as breaking along the `match`)."""
    body = ('awk_id, decision = ctx.awakeable(type_hint=str)\nawait ctx.run("notify", work)\n'
            'match await restate.select(decision=decision, timeout=ctx.sleep(timedelta(days=1))):\n'
            '    case ["decision", {v}] if {v} != "skip":\n        pass\n    case _:\n        return "timeout"\n'
            'await ctx.run("act", lambda: {v})')
    assert verdict(body.format(v="choice"), body.format(v="answer")).verdict is Verdict.COMPATIBLE
    changed = body.format(v="choice").replace('"skip"', '"other"')
    d = verdict(body.format(v="choice"), changed)
    assert d.verdict is Verdict.BREAKING and "does not decide" in d.reason, d.reason


def test_a_value_an_awaited_helper_returns_is_mutated_like_any_other():
    """`seen = await load(ctx)` is the helper's result, not an object that holds the context
    (`Saga(ctx)`, whose calls are operations shaped one by one): an append to it changed or
    added before `ctx.set("seen", seen)` changes the value replay compares (p151, p152: a 570
    on restate-server; rea said compatible)."""
    helpers = 'async def load(ctx):\n    return await ctx.get("seen") or []\n'
    sleep = "await ctx.sleep(timedelta(minutes=30))"
    body = 'seen = await load(ctx)\n{m}\nctx.set("seen", seen)\n' + sleep
    changed = [("seen.append(req)", "seen.append(req)\nseen.append(req)"),
               ("seen.append(req)", "seen.append(1)"),
               ("seen.append(req)", "pass")]
    for old, new in changed:
        d = obj_verdict(body.format(m=old), body.format(m=new), helpers1=helpers)
        assert d.verdict is Verdict.UNKNOWN and "computed at run time" in d.reason, (old, new, d.reason)
    same = obj_verdict(body.format(m="seen.append(req)"), body.format(m="seen.append(req)\nprint(seen)"), helpers1=helpers)
    assert same.verdict is Verdict.COMPATIBLE, same.reason
    # an object built with the context stays a holder: its calls are the operations
    saga = 's = somelib.Saga(ctx)\nawait s.step("a")\n{m}\nctx.set("n", 1)\n' + sleep
    kept = obj_verdict(saga.format(m="pass"), saga.format(m="pass"))
    assert kept.verdict is Verdict.COMPATIBLE, kept.reason


def test_a_use_moved_across_a_reassignment_is_another_computation():
    """A local is rendered by every assignment to it; which of them precede the use tells a use
    moved across a reassignment apart (it may read another value): not compatible."""
    moved = [
        ('key = "items"\nif req["express"]:\n    key = "express_items"\nv = await ctx.get(key)',
         'key = "items"\nv = await ctx.get(key)\nif req["express"]:\n    key = "express_items"'),
        ('name = "reserve"\nname = "charge"\nawait ctx.run_typed(name, work)',
         'name = "reserve"\nawait ctx.run_typed(name, work)\nname = "charge"'),
    ]
    for v1, v2 in moved:
        d = obj_verdict(f"{v1}\nawait ctx.sleep(timedelta(days=1))", f"{v2}\nawait ctx.sleep(timedelta(days=1))")
        assert d.verdict is Verdict.UNKNOWN and "computed at run time" in d.reason, d.reason
    # moved, but not across an assignment (nor renamed): still the same computation
    same = obj_verdict('key = "items"\nif req["express"]:\n    key = "express_items"\nprint(key)\nv = await ctx.get(key)',
                       'k = "items"\nif req["express"]:\n    k = "express_items"\nv = await ctx.get(k)\nprint(k)')
    assert same.verdict is Verdict.COMPATIBLE, same.reason


def test_a_local_assigned_just_before_its_use_is_the_expression_written_in_place():
    """`k = f(x); get(k)` is `get(f(x))` (rideco f134536de0), and `n += 1; set(k, n)` is
    `set(k, n + 1)` with the condition before it unchanged (documentation 22a4303621); but not
    where a mutation between could change what the expression reads, or a loop or a branch
    lies between the assignment and the use."""
    sleep = "await ctx.sleep(timedelta(days=1))"
    same = [
        ('k = work(req["region"])\nv = await ctx.get(k)', 'v = await ctx.get(work(req["region"]))'),
        # a call between (a log line) is taken not to change its arguments, as everywhere
        ('k = work(req["region"])\nv = await ctx.get(k)', 'k = work(req["region"])\nprint("get", k, req)\nv = await ctx.get(k)'),
        ('n = await ctx.get("n") or 0\nif n < 3:\n    n += 1\n    ctx.set("n", n)',
         'n = await ctx.get("n") or 0\nif n < 3:\n    ctx.set("n", n + 1)'),
    ]
    for v1, v2 in same:
        d = obj_verdict(f"{v1}\n{sleep}", f"{v2}\n{sleep}")
        assert d.verdict is Verdict.COMPATIBLE, (v1, d.reason)
    differ = [
        # a mutation between changes what the expression reads
        ('k = work(req["region"])\nreq.update(region=2)\nv = await ctx.get(k)', 'req.update(region=2)\nv = await ctx.get(work(req["region"]))'),
        # a store between, the same
        ('k = work(req["region"])\nreq["region"] = 1\nv = await ctx.get(k)', 'req["region"] = 1\nv = await ctx.get(work(req["region"]))'),
        # a loop between: later iterations read the value assigned before the loop
        ('k = work(req["region"])\nfor i in req["items"]:\n    req["region"] = i\n    v = await ctx.get(k)',
         'for i in req["items"]:\n    req["region"] = i\n    v = await ctx.get(work(req["region"]))'),
        # an assignment in a branch: not the only one that may reach the use
        ('k = "a"\nif req["x"]:\n    k = work(1)\nv = await ctx.get(k)', 'v = await ctx.get(work(1))'),
    ]
    for v1, v2 in differ:
        d = obj_verdict(f"{v1}\n{sleep}", f"{v2}\n{sleep}")
        assert d.verdict is Verdict.UNKNOWN, (v1, d.reason)


def test_a_plain_class_constant_is_its_literal():
    """`PaymentStatus.NEW` (a plain class attribute `NEW = "NEW"`) and `"NEW"` are one value, in
    a condition and in a set (karam94 054e63ed65); an `Enum` member, an attribute bound twice
    or assigned from outside the class is not a literal."""
    body = 's = await ctx.get("s") or {new}\nif s == {new}:\n    ctx.set("s", {done})\nawait ctx.sleep(timedelta(days=1))'
    plain = "class Status:\n    NEW = 'NEW'\n    DONE = 'DONE'\n"
    literal = body.format(new='"NEW"', done='"DONE"')
    named = body.format(new="Status.NEW", done="Status.DONE")
    assert obj_verdict(named, literal, helpers1=plain, helpers2="").verdict is Verdict.COMPATIBLE
    assert obj_verdict(literal, named, helpers1="", helpers2=plain).verdict is Verdict.COMPATIBLE
    not_literal = [
        "import enum\nclass Status(enum.Enum):\n    NEW = 'NEW'\n    DONE = 'DONE'\n",
        plain + "    NEW = 'OLD'\n",
        plain + "Status.DONE = 'X'\n",
        "class Base:\n    pass\nclass Status(Base):\n    NEW = 'NEW'\n    DONE = 'DONE'\n",
    ]
    for helpers in not_literal:
        d = obj_verdict(named, literal, helpers1=helpers, helpers2="")
        assert d.verdict is not Verdict.COMPATIBLE, (helpers, d.reason)


def test_a_name_from_a_nested_unpacking_has_one_fingerprint():
    """`for (a, _), b in ...` rendered the element as a tuple's repr, with a node's address in
    it: the same code was another computation on every parse (duksosleepy submit_batch: seven
    spurious unknowns)."""
    body = 'for (a, _), b in zip(req["x"], req["y"]):\n    await ctx.run(f"step-{a}-{b}", work)\nawait ctx.sleep(timedelta(days=1))'
    d = obj_verdict(body, body)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    changed = obj_verdict(body, body.replace("(a, _), b", "(_, a), b"))
    assert changed.verdict is Verdict.UNKNOWN, changed.reason


def test_a_match_is_decided_by_its_subject_and_patterns_not_by_what_its_cases_do():
    """A change in what a case does (here a value the cases' target also gets elsewhere) left
    the `match` an undecided condition, and a break 'along a way that depends on it' that no
    invocation can take (restatedev/sdk-python 371f655 changed a run's action two branches away)."""
    body = ('if req["kind"] == "local":\n    result = compute(1)\n'
            'else:\n    match await ctx.run("pick", lambda: "a"):\n        case "a":\n            result = "a"\n'
            '        case _:\n            raise ValueError("no")\nawait ctx.run("done", lambda: result)')
    d = verdict(body, body, "def compute(x):\n    return x\n", "def compute(x):\n    return (x,)\n")
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = verdict(body, body.replace('case "a":', 'case "b":'), "def compute(x):\n    return x\n")
    assert d.verdict is Verdict.BREAKING and d.divergence.assuming, d.reason  # a changed pattern decides anew


def test_a_key_moved_into_a_module_constant_is_the_same_literal():
    """`ctx.get("balance")` -> `ctx.get(BALANCE)` with `BALANCE = "balance"`: the same key to
    replay (restatedev/ai-examples did this in two apps; rea said unknown). A constant that
    holds another value breaks; a name bound twice, or declared `global`, is not a constant."""
    same = obj_verdict('v = await ctx.get("balance")\nctx.set("balance", 1)',
                       'v = await ctx.get(BALANCE)\nctx.set(BALANCE, 1)', helpers1="", helpers2='BALANCE = "balance"')
    assert same.verdict is Verdict.COMPATIBLE, same.reason
    other = obj_verdict('v = await ctx.get("balance")', "v = await ctx.get(BALANCE)", helpers1="", helpers2='BALANCE = "total"')
    assert other.verdict is Verdict.BREAKING and other.divergence.index == 1, other.reason
    assert "key 'balance' != 'total'" in other.reason
    # a constant in a larger expression reads as written in place too
    fstring = obj_verdict('await ctx.run(f"{\'step\'}-{req[\'n\']}", lambda: 1)', 'await ctx.run(f"{STEP}-{req[\'n\']}", lambda: 1)',
                          helpers1="", helpers2='STEP = "step"')
    assert fstring.verdict is Verdict.COMPATIBLE, fstring.reason
    for rebinding in ('BALANCE = "balance"\nBALANCE = "balance"',
                      'BALANCE = "balance"\nfor BALANCE in ["balance"]:\n    pass',
                      'BALANCE = "balance"\ndef reset():\n    global BALANCE\n    BALANCE = "balance"',
                      'BALANCE = "balance"\nfrom somelib import BALANCE',
                      'BALANCE = "balance"\nfrom somelib import *'):
        d = obj_verdict('v = await ctx.get("balance")', "v = await ctx.get(BALANCE)", helpers1="", helpers2=rebinding)
        assert d.verdict is Verdict.UNKNOWN and "computed at run time" in d.reason, (rebinding, d.reason)
    # a local of that name is the local
    d = obj_verdict('v = await ctx.get("balance")', 'BALANCE = req["k"]\nv = await ctx.get(BALANCE)', helpers1="", helpers2='BALANCE = "balance"')
    assert d.verdict is Verdict.UNKNOWN, d.reason


def test_a_key_imported_from_a_constants_module_is_its_literal():
    """An imported constant is its literal as a key, and in a value computed from what is read
    under it (p157: the list read, appended to and set again under `SEEN` was "its computation
    changed" where the server completes every invocation)."""
    app = PRELUDE.replace("import somelib\n", "import somelib\n{imports}\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: dict) -> str:\n    return await ctx.get({key}) or ''\n")
    kept = PRELUDE.replace("import somelib\n", "import somelib\n{imports}\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: dict) -> str:\n    seen = await ctx.get({key}) or []\n"
        "    seen.append(req)\n    ctx.set({key}, seen)\n    await ctx.sleep(timedelta(seconds=1))\n    return 'ok'\n")
    keys = {"shop/__init__.py": "", "shop/keys.py": 'BALANCE = "balance"\nTOTAL = "total"\n'}
    checked = 0
    for template in (app, kept):
        old, _ = shapes_of_sources({**keys, "shop/app.py": template.format(imports="", key='"balance"')})
        for imports, key, expected in (("from shop.keys import BALANCE", "BALANCE", Verdict.COMPATIBLE),
                                       ("from shop import keys", "keys.BALANCE", Verdict.COMPATIBLE),
                                       ("import shop.keys", "shop.keys.BALANCE", Verdict.COMPATIBLE),
                                       ("from shop import keys", "keys.TOTAL", Verdict.BREAKING),
                                       ("from shop.keys import TOTAL", "TOTAL", Verdict.BREAKING),
                                       ("from shop.keys import MISSING", "MISSING", Verdict.UNKNOWN)):
            new, problems = shapes_of_sources({**keys, "shop/app.py": template.format(imports=imports, key=key)})
            assert problems == []
            d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
            assert d.verdict is expected, (imports, key, d.reason)
            checked += 1
    assert checked == 12


def test_a_function_reads_as_the_code_it_calls_too():
    """`label(req)` whose own body stays and calls `inner`, whose body changed: the value may be
    another (p149 on a server, through an import). So is a class's validator that calls a module's
    helper (p150). A type a function's annotations name decides nothing it computes, and a
    function it does not call is not its code."""
    text = ("def inner(s: str) -> str:\n    return s.{how}()\n\n\ndef other() -> int:\n    return {n}\n\n\n"
            "class Quote:\n    price: int = {n}\n\n\ndef label(s: str, q: 'Quote | None' = None) -> str:\n    return 'L-' + inner(s)\n")
    app = PRELUDE.replace("import somelib\n", "import somelib\nfrom shop.text import label\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n    ctx.set('label', label(req))\n")
    old, _ = shapes_of_sources({"shop/__init__.py": "", "shop/text.py": text.format(how="upper", n=1), "shop/app.py": app})
    checked = 0
    for how, n, expected in (("upper", 1, Verdict.COMPATIBLE), ("upper", 2, Verdict.COMPATIBLE), ("lower", 1, Verdict.UNKNOWN)):
        new, problems = shapes_of_sources({"shop/__init__.py": "", "shop/text.py": text.format(how=how, n=n), "shop/app.py": app})
        assert problems == []
        d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
        assert d.verdict is expected, (how, n, d.reason)
        if expected is Verdict.UNKNOWN:
            assert "(it reads code that changed: `inner` (shop/text.py:1))" in d.reason, d.reason
        checked += 1
    # in the module's own code, and through a method
    helpers = "def inner(s):\n    return s.{how}()\n\n\ndef label(s):\n    return inner(s)\n"
    d = obj_verdict('ctx.set("k", label(req["a"]))', 'ctx.set("k", label(req["a"]))', helpers1=helpers.format(how="upper"),
                    helpers2=helpers.format(how="lower"))
    assert d.verdict is Verdict.UNKNOWN and "(it reads code that changed: `inner` (app.py:" in d.reason, d.reason
    checked += 1
    assert checked == 4


def test_a_function_reads_as_the_module_values_it_reads_too():
    """`decorated(name)` returns `name + SUFFIX`; only `SUFFIX = "!"` changed (p154), or the
    `RATES` table another module holds, read in place or by a helper of a third module (p155):
    the value replay computes is another (570 on the server; rea said compatible). A parameter
    or local named like a module value is the function's own, and an unchanged value leaves the
    computation as it was."""
    app = PRELUDE.replace("import somelib\n", "import somelib\nfrom shop.config import RATES\nfrom shop.text import rate_of\n") + (
        'SUFFIX = {suffix}\n\n\ndef decorated(s):\n    return s + SUFFIX\n\n\ndef own(SUFFIX):\n    return SUFFIX * 2\n\n\n'
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n"
        "    ctx.set('a', decorated(req))\n    ctx.set('b', RATES[req])\n    ctx.set('c', rate_of(req))\n    ctx.set('d', own(req))\n")
    text = "from shop.config import RATES\n\n\ndef rate_of(tier):\n    return RATES[tier]\n"

    def shaped(suffix: str, rates: str):
        files = {"shop/__init__.py": "", "shop/config.py": f"RATES = {rates}\n", "shop/text.py": text, "shop/app.py": app.format(suffix=suffix)}
        shapes, problems = shapes_of_sources(files)
        assert problems == []
        return shapes[("obj", "h")]

    old = shaped('"!"', '{"a": 1}')
    checked = 0
    for suffix, rates, expected, named in (
            ('"!"', '{"a": 1}', Verdict.COMPATIBLE, ""),
            ('"?"', '{"a": 1}', Verdict.UNKNOWN, "`ctx.set('a', decorated(req))` reads as before, but its value is computed at run time "
                                                 "and its computation changed (it reads code that changed: `SUFFIX` (shop/app.py:"),
            ('"!"', '{"a": 2}', Verdict.UNKNOWN, "`ctx.set('b', RATES[req])` reads as before, but its value is computed at run time "
                                                 "and its computation changed (it reads code that changed: `RATES` (shop/config.py:1))")):
        d = compare_handlers(old, shaped(suffix, rates))
        assert d.verdict is expected and named in d.reason, (suffix, rates, d.reason)
        checked += 1
    # the helper of a third module reads the table too: the value it computes changed with it
    rate_only = app.replace("    ctx.set('b', RATES[req])\n", "")
    sides = [shapes_of_sources({"shop/__init__.py": "", "shop/config.py": f"RATES = {r}\n", "shop/text.py": text,
                                "shop/app.py": rate_only.format(suffix='"!"')})[0][("obj", "h")] for r in ('{"a": 1}', '{"a": 2}')]
    d = compare_handlers(*sides)
    assert d.verdict is Verdict.UNKNOWN and "`ctx.set('c', rate_of(req))`" in d.reason and "`RATES` (shop/config.py:1)" in d.reason, d.reason
    checked += 1
    # `own(SUFFIX)` reads its parameter, not the module's `SUFFIX`
    own_only = "".join(line for line in app.splitlines(keepends=True) if not line.startswith(("    ctx.set('a'", "    ctx.set('b'", "    ctx.set('c'")))
    sides = [shapes_of_sources({"shop/__init__.py": "", "shop/config.py": "RATES = {}\n", "shop/text.py": text,
                                "shop/app.py": own_only.format(suffix=x)})[0][("obj", "h")] for x in ('"!"', '"?"')]
    d = compare_handlers(*sides)
    assert d.verdict is Verdict.COMPATIBLE and "ctx.set('d'" in str(sides[0].ops), d.reason
    checked += 1
    # an imported value reads the values it names, not the code of the functions it lists (a
    # registry, examples bd124ba: a listed task's body changed turned `if TASKS.get(kind) is None`
    # into a changed condition, "breaking")
    tasks = 'def remind(x):\n    return x.{how}()\n\n\nBASE = {base}\nNAME = BASE + "-r"\nTASKS = {{NAME: remind}}\n'
    handler = PRELUDE.replace("import somelib\n", "import somelib\nfrom shop.tasks import TASKS\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n"
        "    if TASKS.get(req) is None:\n        return\n    ctx.set('k', 1)\n    await ctx.sleep(timedelta(minutes=30))\n")
    sides = [shapes_of_sources({"shop/__init__.py": "", "shop/tasks.py": tasks.format(how=how, base=base), "shop/app.py": handler})[0][("obj", "h")]
             for how, base in (("upper", '"t"'), ("lower", '"t"'), ("upper", '"u"'))]
    d = compare_handlers(sides[0], sides[1])
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = compare_handlers(sides[0], sides[2])
    assert d.verdict is Verdict.BREAKING and "a condition new or changed" in d.reason, d.reason
    checked += 2
    # a value runs what it calls: an instance imported from a module (`formatter = Formatter()`)
    # computes with its class's methods
    made = "class Formatter:\n    def fmt(self, n):\n        return n.{how}()\n\n\nformatter = Formatter()\n"
    handler = PRELUDE.replace("import somelib\n", "import somelib\nfrom shop.fmt import formatter\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n    ctx.set('k', formatter.fmt(req))\n")
    sides = [shapes_of_sources({"shop/__init__.py": "", "shop/fmt.py": made.format(how=how), "shop/app.py": handler})[0][("obj", "h")]
             for how in ("upper", "lower")]
    d = compare_handlers(*sides)
    assert d.verdict is Verdict.UNKNOWN and "(it reads code that changed: `Formatter` (shop/fmt.py:1))" in d.reason, d.reason
    checked += 1
    assert checked == 8


def test_an_isinstance_test_reads_which_class_not_its_code():
    """`if isinstance(got, Order)` decides by which class a value is: a docstring edited in
    `Order`, or `Order` moved unchanged to a module of another name, decides it the same way
    (both were "breaks in-flight invocations", along a condition taken as changed); so do
    `type(got) is Order` and `case Order(id=i):`. Testing for another class is a changed
    condition."""
    model = 'from pydantic import BaseModel\n\n\nclass {name}(BaseModel):\n    """{doc}"""\n    id: str\n'
    handler = PRELUDE.replace("import somelib\n", "import somelib\nfrom shop.{module} import {name}\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n    got = await ctx.get('o')\n"
        "    if isinstance(got, ({name}, dict)):\n        ctx.set('a', 1)\n    ctx.set('b', 2)\n    await ctx.sleep(timedelta(hours=1))\n")

    def shaped(module: str, name: str, doc: str):
        files = {"shop/__init__.py": "", f"shop/{module}.py": model.format(name=name, doc=doc),
                 "shop/app.py": handler.format(module=module, name=name)}
        return shapes_of_sources(files)[0][("obj", "h")]

    old = shaped("models", "Order", "An order.")
    checked = 0
    for module, name, doc, expected in (("models", "Order", "An order, placed.", Verdict.COMPATIBLE),
                                        ("schemas", "Order", "An order.", Verdict.COMPATIBLE),
                                        ("models", "Invoice", "An order.", Verdict.BREAKING)):
        d = compare_handlers(old, shaped(module, name, doc))
        assert d.verdict is expected, (module, name, doc, d.reason)
        checked += 1
    assert "isinstance(got, (Invoice, dict))" in d.reason, d.reason
    # a class of the module's own: its docstring edited
    local = 'class Order:\n    """{doc}"""\n    id: str = ""\n'
    body = "got = await ctx.get('o')\nif isinstance(got, Order):\n    ctx.set('a', 1)\nctx.set('b', 2)\nawait ctx.sleep(timedelta(hours=1))"
    d = obj_verdict(body, body, helpers1=local.format(doc="An order."), helpers2=local.format(doc="An order, placed."))
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    checked += 1
    # so is a `type(x) is` test and a class pattern of a `match`; another class there is a changed condition
    tests = ("if type(got) is {c}:\n    ctx.set('a', 1)", "match got:\n    case {c}(id=i):\n        ctx.set('a', i)\n    case _:\n        pass")
    for test in tests:
        body = "got = await ctx.get('o')\n" + test + "\nctx.set('b', 2)\nawait ctx.sleep(timedelta(hours=1))"
        two = local + local.replace("Order", "Invoice")
        d = obj_verdict(body.format(c="Order"), body.format(c="Order"), helpers1=two.format(doc="An order."),
                        helpers2=two.format(doc="An order, placed."))
        assert d.verdict is Verdict.COMPATIBLE, (test, d.reason)
        d = obj_verdict(body.format(c="Order"), body.format(c="Invoice"), helpers1=two.format(doc="An order."))
        assert d.verdict is Verdict.BREAKING and "a condition new or changed" in d.reason, (test, d.reason)
        checked += 2
    assert checked == 8


def test_the_code_that_changed_is_named_in_the_handlers_own_app():
    """Two apps of one repository hold the same helper, and both change it alike (ai-examples
    9e2c8a6: `c_agentic_workflows/` and `d_mixing_agents_and_workflows/` each hold `Transaction`):
    the same code is one digest, and each handler's reason names its own app's file, not the
    other's."""
    helper = "def label(s: str) -> str:\n    return s.{how}()\n"
    app = ("import restate\nfrom {pkg}.text import label\n\nobj = restate.VirtualObject('{pkg}')\n\n\n"
           "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n    ctx.set('label', label(req))\n")

    def project(how: str) -> dict[str, str]:
        files = {}
        for pkg in ("first", "second"):
            files.update({f"{pkg}/__init__.py": "", f"{pkg}/text.py": helper.format(how=how), f"{pkg}/app.py": app.format(pkg=pkg)})
        return files

    old, new = shapes_of_sources(project("upper"))[0], shapes_of_sources(project("lower"))[0]
    checked = 0
    for pkg in ("first", "second"):
        d = compare_handlers(old[(pkg, "h")], new[(pkg, "h")])
        assert d.verdict is Verdict.UNKNOWN and f"(it reads code that changed: `label` ({pkg}/text.py:1))" in d.reason, d.reason
        checked += 1
    assert checked == 2


def test_the_line_of_the_handler_that_changed_a_value_is_named():
    """"its computation changed" names the statement of the handler that changed what the value
    holds: the one whose own computation changed (not the lines below it that read its result),
    a mutation added, one the old code had, a line of the caller whose value a helper sets, a
    loop's header. A line that only moved is not named, nor one that reads as before, and a
    change in the journaled expression itself names no other line."""
    sleep = "await ctx.sleep(timedelta(minutes=30))"
    helpers = 'async def keep(ctx, value):\n    ctx.set("kept", value)\n'
    cases = [  # (v1, v2, what the reason says, the line it names in v2 (or v1, for `where the old code had`))
        ('a = req["n"] * 2\nb = a + 1\nctx.set("b", b)', 'a = req["n"] * 3\nb = a + 1\nctx.set("b", b)',
         " at `a = req['n'] * 3` (app.py:{line})", 'a = req["n"] * 3'),
        ('items = []\nitems.append(req)\nctx.set("items", items)', 'items = []\nitems.append(req)\nitems.append(1)\nctx.set("items", items)',
         " at `items.append(1)` (app.py:{line})", "items.append(1)"),
        ('items = []\nitems.append(req)\nitems.append(1)\nctx.set("items", items)', 'items = []\nitems.append(req)\nctx.set("items", items)',
         " where the old code had `items.append(1)` (app.py:{line})", "items.append(1)"),
        ('label = f"v{req}"\nprint(label)\nawait keep(ctx, label)', 'label = f"w{req}"\n\n\nprint(label)\nawait keep(ctx, label)',
         " at `label = f'w{{req}}'` (app.py:{line})", 'label = f"w{req}"'),
        ('total = 0\nfor x in req["items"]:\n    total += x\nctx.set("t", total)', 'total = 0\nfor x in req["other"]:\n    total += x\nctx.set("t", total)',
         " at `for x in req['other']` (app.py:{line})", 'for x in req["other"]:'),
    ]
    checked = 0
    for v1, v2, says, statement in cases:
        d = obj_verdict(f"{v1}\n{sleep}", f"{v2}\n{sleep}", helpers1=helpers)
        source = module(f"{v1 if 'old code had' in says else v2}\n{sleep}", helpers, "@obj.handler()", "restate.ObjectContext")
        line = source.splitlines().index(f"    {statement}") + 1
        assert d.verdict is Verdict.UNKNOWN and f"its computation changed{says.format(line=line)}; " in d.reason, (v2, d.reason)
        assert d.reason.count("(app.py:") == 2, d.reason  # (that line, and the operation's)
        checked += 1
    # the journaled expression itself changed: no other line to name
    d = obj_verdict(f'n = req["n"]\nctx.set("n", n + 1)\n{sleep}', f'n = req["n"]\nctx.set("n", n + 2)\n{sleep}')
    assert d.verdict is Verdict.UNKNOWN and "its computation changed; " in d.reason, d.reason
    checked += 1
    # a line that reads as before is not named, though what it reads changed (ai-examples
    # 2a1e005, aa33f67 named such a line): a helper's code, the caller's value a helper's line
    # reads (only the caller's line that changed is named); a table of the module that changed is
    # named itself (aa33f67's `agent_dict`: "AutoSpecialist" became "CarSpecialist")
    for v1, v2, helpers1, helpers2, says in (
            ('x = RATES[req]\nctx.set("x", x)', 'x = RATES[req]\nctx.set("x", x)',
             'RATES = {"a": [1]}\n', 'RATES = {"a": [2]}\n', "its computation changed at `RATES = {'a': [2]}` (app.py:"),
            ('x = await work(ctx, req)\nctx.set("x", x)', 'x = await work(ctx, req)\nctx.set("x", x)',
             "async def work(ctx, r):\n    return r + 'a'\n", "async def work(ctx, r):\n    return r + 'b'\n", "its computation changed"),
            ('await keep(ctx, f"v{req}")', 'await keep(ctx, f"w{req}")', keeps := "async def keep(ctx, value):\n    v = value.strip()\n    ctx.set('kept', v)\n",
             keeps, "its computation changed; ")):
        d = obj_verdict(f"{v1}\n{sleep}", f"{v2}\n{sleep}", helpers1=helpers1, helpers2=helpers2)
        assert d.verdict is Verdict.UNKNOWN and says in d.reason and d.reason.count(" at `") == says.count(" at `"), (v2, d.reason)
        checked += 1
    assert checked == 9


def test_a_module_table_changed_after_its_assignment_is_read_with_the_change():
    """`RATES = {}` and then a loop that fills it, a store into it or a method that changes it in
    place (`RATES.update(...)`): the value a handler reads from it is what those statements make
    of it. rea read the assignment alone (or, bound twice, the name alone) and called a change to
    the filling code compatible, where the server fails with 570 (p158, p159). Read directly, by
    a helper of the module, or imported from another one. A module function the module calls
    (`fill()`) counts by its code where it changes the table (p164) or computes what is stored
    into it. A statement that only reads the table (`DB = CONFIG.get("db")`), a function that
    changes only its own local of that name or nothing, or a move, changes nothing."""
    sleep = "await ctx.sleep(timedelta(minutes=30))"
    cases = [  # (module code v1, v2, changed?)
        ('RATES = {}\nfor k in ("a", "b"):\n    RATES[k] = 1\n', 'RATES = {}\nfor k in ("a", "b"):\n    RATES[k] = 2\n', True),
        ('RATES = {}\nfor k in ("a", "b"):\n    RATES[k] = 1\n', 'RATES = {}\nfor k in ("a", "b", "c"):\n    RATES[k] = 1\n', True),
        ('RATES = {"a": 0}\nRATES.update(a=1)\n', 'RATES = {"a": 0}\nRATES.update(a=2)\n', True),
        ('RATES = {}\nRATES["a"] = 1\n', 'RATES = {}\nRATES["a"] = 2\n', True),
        ('RATES = dict(a=1)\nif True:\n    RATES["a"] = 1\n', 'RATES = dict(a=1)\nif True:\n    RATES["a"] = 2\n', True),
        ('RATES = {"a": 0}\ndel RATES["a"]\nRATES["b"] = 1\n', 'RATES = {"a": 0}\nRATES["b"] = 1\n', True),
        ('RATES = {}\nfor k in ("a", "b"):\n    RATES[k] = 1\n', 'RATES = {}\n\n\nfor k in ("a", "b"):\n    RATES[k] = 1\n', False),
        ('RATES = {"a": 1}\nDB = RATES.get("a")\n', 'RATES = {"a": 1}\nDB = RATES.get("b")\n', False),
        ('RATES = {"a": 1}\nprint(RATES)\n', 'RATES = {"a": 1}\nprint(RATES, 2)\n', False),
        # a module function the module calls: what it changes (p164), what it computes for a store
        ('RATES = {}\ndef fill():\n    RATES["a"] = 1\nfill()\n', 'RATES = {}\ndef fill():\n    RATES["a"] = 2\nfill()\n', True),
        ('RATES = {"a": 0}\ndef fill():\n    RATES.update(a=1)\nfill()\n', 'RATES = {"a": 0}\ndef fill():\n    RATES.update(a=2)\nfill()\n', True),
        ('RATES = {}\ndef one(k):\n    return 1\nfor k in "ab":\n    RATES[k] = one(k)\n',
         'RATES = {}\ndef one(k):\n    return 2\nfor k in "ab":\n    RATES[k] = one(k)\n', True),
        ('RATES = {"a": 1}\ndef log():\n    print(1)\nlog()\n', 'RATES = {"a": 1}\ndef log():\n    print(2)\nlog()\n', False),
        ('RATES = {"a": 1}\ndef f():\n    RATES = {}\n    RATES["a"] = 1\nf()\n',
         'RATES = {"a": 1}\ndef f():\n    RATES = {}\n    RATES["a"] = 2\nf()\n', False),
    ]
    checked = 0
    for v1, v2, changed in cases:
        for body, helper in (('ctx.set("x", RATES[req])', ""), ('ctx.set("x", rate(req))', "def rate(k):\n    return RATES[k]\n")):
            d = obj_verdict(f"{body}\n{sleep}", f"{body}\n{sleep}", helpers1=v1 + helper, helpers2=v2 + helper)
            if changed:
                assert d.verdict is Verdict.UNKNOWN and "its computation changed" in d.reason and "`RATES` (app.py:" in d.reason, (v2, body, d.reason)
            else:
                assert d.verdict is Verdict.COMPATIBLE, (v2, body, d.reason)
            checked += 1
    # imported from a module of the project
    app = PRELUDE.replace("import somelib\n", "import somelib\nfrom shop.rates import RATES\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n    ctx.set('x', RATES[req])\n")
    shapes = [shapes_of_sources({"shop/__init__.py": "", "shop/rates.py": code, "shop/app.py": app})[0] for code, _, _ in cases[:1]]
    for _v1, v2, changed in cases[:1]:
        new, problems = shapes_of_sources({"shop/__init__.py": "", "shop/rates.py": v2, "shop/app.py": app})
        assert problems == []
        d = compare_handlers(shapes[0][("obj", "h")], new[("obj", "h")])
        assert d.verdict is Verdict.UNKNOWN and "`RATES` (shop/rates.py:1)" in d.reason, d.reason
        checked += 1
    assert checked == 29


def test_a_helper_parameter_the_call_does_not_pass_reads_as_its_default():
    """`remember(ctx)` for `async def remember(ctx, limit=3)`: the helper journals its default,
    and a default changed (3 to 5) changes what replay compares. rea read such a parameter as the
    parameter alone and said compatible, where the server fails with 570 (p160). A literal default
    is a literal (breaking, naming both); a computed one a computation (unknown); a parameter the
    call passes, or a call with `*args`, does not read the default."""
    sleep = "await ctx.sleep(timedelta(minutes=30))"
    keep = 'async def keep(ctx, {params}):\n    ctx.set({key}, {value})\n'
    cases = [  # (the call, params v1, v2, key, value, verdict, what the reason says)
        ("await keep(ctx)", "v=1", "v=2", '"k"', "v", Verdict.BREAKING, "its value 1 != 2"),
        ("await keep(ctx)", "*, v=1", "*, v=2", '"k"', "v", Verdict.BREAKING, "its value 1 != 2"),
        ("await keep(ctx, 5)", 'v, key="a"', 'v, key="b"', "key", "v", Verdict.BREAKING, "its key 'a' != 'b'"),
        ("await keep(ctx)", "v=RATE", "v=RATE * 2", '"k"', "v", Verdict.UNKNOWN, "its computation changed"),
        ("await keep(ctx, 5)", "v=1", "v=2", '"k"', "v", Verdict.COMPATIBLE, ""),
        ("await keep(ctx, v=5)", "v=1", "v=2", '"k"', "v", Verdict.COMPATIBLE, ""),
        ("await keep(ctx, *ARGS)", "v=1", "v=1", '"k"', "v", Verdict.COMPATIBLE, ""),
        ("await keep(ctx)", "v=1", "v=1", '"k"', "v", Verdict.COMPATIBLE, ""),
    ]
    checked = 0
    for call, p1, p2, key, value, expected, says in cases:
        module_code = "RATE = 1\nARGS = (1,)\n"
        d = obj_verdict(f"{call}\n{sleep}", f"{call}\n{sleep}", helpers1=module_code + keep.format(params=p1, key=key, value=value),
                        helpers2=module_code + keep.format(params=p2, key=key, value=value))
        assert d.verdict is expected and says in d.reason, (call, p2, d.reason)
        checked += 1
    assert checked == 8


def test_a_function_defined_in_the_handler_is_read_by_its_code_and_the_values_it_reads():
    """`def label(): return name.upper()` inside the handler, then `ctx.set("label", label())`: its
    body, a default, or a local of the handler it reads (`base`, for a def or a lambda) changed
    changes the value replay compares (p161: 570). rea read such a function by its name alone and
    said compatible. Moved, or unchanged beside another change, it is the same computation; a
    run action's code is not journaled (its result is)."""
    cases = [  # (v1, v2, expected)
        ('def f(x=1):\n    return x\nctx.set("x", f())', 'def f(x=2):\n    return x\nctx.set("x", f())', Verdict.UNKNOWN),
        ('def f():\n    return 1\nctx.set("x", f())', 'def f():\n    return 2\nctx.set("x", f())', Verdict.UNKNOWN),
        ('base = 3\ndef f():\n    return base * 2\nctx.set("x", f())', 'base = 4\ndef f():\n    return base * 2\nctx.set("x", f())', Verdict.UNKNOWN),
        ('base = 3\nf = lambda: base * 2\nctx.set("x", f())', 'base = 4\nf = lambda: base * 2\nctx.set("x", f())', Verdict.UNKNOWN),
        ('w = 1\nctx.set("x", sorted(req, key=lambda i: i * w))', 'w = 2\nctx.set("x", sorted(req, key=lambda i: i * w))', Verdict.UNKNOWN),
        ('def f():\n    return 1\nctx.set("x", f())', 'def f():\n\n    return 1\nctx.set("x", f())', Verdict.COMPATIBLE),
        ('base = 3\ndef f():\n    return base * 2\nctx.set("x", f())', 'base = 3\n\ndef f():\n    return base * 2\nctx.set("x", f())', Verdict.COMPATIBLE),
        ('def act():\n    return 1\nawait ctx.run_typed("a", act)', 'def act():\n    return 2\nawait ctx.run_typed("a", act)', Verdict.COMPATIBLE),
        ('def f():\n    return 1\nctx.set("x", req)', 'def f():\n    return 2\nctx.set("x", req)', Verdict.COMPATIBLE),
    ]
    assert _check_edits(cases) == 9


def test_a_value_assigned_under_a_condition_counts_the_condition():
    """`limit = 1`, then `if len(name) > 2: limit = 5`: which value the local holds depends on the
    test, and a test changed (`> 5`) changes what replay compares (p162: 570). rea read a local as
    the values assigned to it, not the tests they run under, and said compatible. The same for
    an `else`, a `while`, a loop's `if`, a mutation (`items.append(x)` under an `if`), an earlier
    `if` of a loop that breaks or continues it (p166) and a `match` case (p167); a test that
    guards another local, or an `if` that neither breaks nor continues, changes nothing."""
    cases = [  # (v1, v2, expected)
        ('n = 0\nif req > 1:\n    n = 1\nctx.set("x", n)', 'n = 0\nif req > 2:\n    n = 1\nctx.set("x", n)', Verdict.UNKNOWN),
        ('if req > 1:\n    n = 1\nelse:\n    n = 2\nctx.set("x", n)', 'if req > 2:\n    n = 1\nelse:\n    n = 2\nctx.set("x", n)', Verdict.UNKNOWN),
        ('n = 0\nwhile n < 3:\n    n += 1\nctx.set("x", n)', 'n = 0\nwhile n < 4:\n    n += 1\nctx.set("x", n)', Verdict.UNKNOWN),
        ('n = 0\nfor x in req:\n    if x > 1:\n        n += 1\nctx.set("x", n)', 'n = 0\nfor x in req:\n    if x > 2:\n        n += 1\nctx.set("x", n)', Verdict.UNKNOWN),
        ('l = []\nif req > 1:\n    l.append(1)\nctx.set("x", l)', 'l = []\nif req > 2:\n    l.append(1)\nctx.set("x", l)', Verdict.UNKNOWN),
        # a loop's earlier `if` that breaks or continues it (p166), a `match` case (p167)
        ('n = 0\nfor x in req:\n    if x > 2:\n        break\n    n += 1\nctx.set("x", n)',
         'n = 0\nfor x in req:\n    if x > 3:\n        break\n    n += 1\nctx.set("x", n)', Verdict.UNKNOWN),
        ('n = 0\nfor x in req:\n    if x > 2:\n        continue\n    n += 1\nctx.set("x", n)',
         'n = 0\nfor x in req:\n    if x > 3:\n        continue\n    n += 1\nctx.set("x", n)', Verdict.UNKNOWN),
        ('n = 0\nmatch req:\n    case "a":\n        n = 1\nctx.set("x", n)', 'n = 0\nmatch req:\n    case "b":\n        n = 1\nctx.set("x", n)', Verdict.UNKNOWN),
        ('n = 0\nmatch req:\n    case str() if req > "a":\n        n = 1\nctx.set("x", n)',
         'n = 0\nmatch req:\n    case str() if req > "b":\n        n = 1\nctx.set("x", n)', Verdict.UNKNOWN),
        ('n = 0\nif req > 1:\n    n = 1\nctx.set("x", n)', 'n = 0\n\nif req > 1:\n    n = 1\nctx.set("x", n)', Verdict.COMPATIBLE),
        ('n = 0\nm = 0\nif req > 1:\n    m = 1\nctx.set("x", n)', 'n = 0\nm = 0\nif req > 2:\n    m = 1\nctx.set("x", n)', Verdict.COMPATIBLE),
        ('n = 0\nfor x in req:\n    if x > 2:\n        print(x)\n    n += 1\nctx.set("x", n)',
         'n = 0\nfor x in req:\n    if x > 3:\n        print(x)\n    n += 1\nctx.set("x", n)', Verdict.COMPATIBLE),
    ]
    assert _check_edits(cases) == 12


def test_a_value_assigned_under_a_condition_counts_what_the_condition_reads():
    """`if len(name) > SHORT: limit = 5`: a value the test reads changed elsewhere (a local, a
    module value, p163: 570) or a helper it calls changed, and the local holds another value. rea
    read the test's text alone and said compatible. Unchanged, with a loop-carried name it
    reads (`while n < top: n += 1`), with another local changed, or moved, it is the same
    computation; so is a state value read with a type hint added, or a run's action changed."""
    module = "TOP = {top}\ndef big(v):\n    return v > {top}\n"
    cases = [  # (v1 body, v2 body, module v1 top, v2 top, expected)
        ('t = 2\nn = 0\nif req > t:\n    n = 1\nctx.set("x", n)', 't = 3\nn = 0\nif req > t:\n    n = 1\nctx.set("x", n)', 2, 2, Verdict.UNKNOWN),
        ('n = 0\nif req > TOP:\n    n = 1\nctx.set("x", n)', None, 2, 3, Verdict.UNKNOWN),
        ('n = 0\nif big(req):\n    n = 1\nctx.set("x", n)', None, 2, 3, Verdict.UNKNOWN),
        ('n = 0\nwhile n < TOP:\n    n += 1\nctx.set("x", n)', None, 2, 3, Verdict.UNKNOWN),
        ('n = 0\nwhile n < TOP:\n    n += 1\nctx.set("x", n)', None, 2, 2, Verdict.COMPATIBLE),
        ('t = 2\nu = 5\nn = 0\nif req > t:\n    n = 1\nctx.set("x", n)', 't = 2\nu = 6\nn = 0\nif req > t:\n    n = 1\nctx.set("x", n)', 2, 2, Verdict.COMPATIBLE),
        ('n = 0\nif req > TOP:\n    n = 1\nctx.set("x", n)', 'n = 0\n\nif req > TOP:\n    n = 1\nctx.set("x", n)', 2, 2, Verdict.COMPATIBLE),
        # what replay gives back is read as it is rendered: a state value by its key, not the type
        # it is decoded with (ai-examples aeec06b had turned "breaking"); a run's result by its name
        ('c = await ctx.get("c") or 0\nn = 0\nif c > 2:\n    n = 1\nctx.set("x", n)',
         'c = await ctx.get("c", type_hint=int) or 0\nn = 0\nif c > 2:\n    n = 1\nctx.set("x", n)', 2, 2, Verdict.COMPATIBLE),
        ('r = await ctx.run("r", lambda: 1)\nn = 0\nif r > 2:\n    n = 1\nctx.set("x", n)',
         'r = await ctx.run_typed("r", big, v=5)\nn = 0\nif r > 2:\n    n = 1\nctx.set("x", n)', 2, 2, Verdict.COMPATIBLE),
        ('c = await ctx.get("c") or 0\nn = 0\nif c > 2:\n    n = 1\nctx.set("x", n)',
         'c = await ctx.get("d") or 0\nn = 0\nif c > 2:\n    n = 1\nctx.set("x", n)', 2, 2, Verdict.BREAKING),
    ]
    checked = 0
    sleep = "\nawait ctx.sleep(timedelta(minutes=30))"
    for v1, v2, top1, top2, expected in cases:
        d = obj_verdict(v1 + sleep, (v2 or v1) + sleep, helpers1=module.format(top=top1), helpers2=module.format(top=top2))
        assert d.verdict is expected, (v1, v2, top2, d.reason)
        if expected is Verdict.UNKNOWN:
            assert "its computation changed" in d.reason, d.reason
        checked += 1
    assert checked == 10


def test_a_class_defined_in_the_handler_is_read_by_its_code():
    """`class Limits: daily = 3` inside the handler, stored as `Limits.daily`: its body changed (p165:
    570), or a local it reads changed, and the value is another. rea read a local class by its name
    alone and said compatible."""
    cases = [
        ('class A:\n    v = 1\nctx.set("x", A.v)', 'class A:\n    v = 2\nctx.set("x", A.v)', Verdict.UNKNOWN),
        ('w = 1\nclass A:\n    v = w\nctx.set("x", A.v)', 'w = 2\nclass A:\n    v = w\nctx.set("x", A.v)', Verdict.UNKNOWN),
        ('class A:\n    v = 1\nctx.set("x", A().v)', 'class A:\n    v = 2\nctx.set("x", A().v)', Verdict.UNKNOWN),
        ('class A:\n    v = 1\nctx.set("x", A.v)', 'class A:\n    v = 1\n\nctx.set("x", A.v)', Verdict.COMPATIBLE),
        ('class A:\n    v = 1\nz = 5\nctx.set("x", A.v)', 'class A:\n    v = 1\nz = 6\nctx.set("x", A.v)', Verdict.COMPATIBLE),
    ]
    assert _check_edits(cases) == 5


def _check_edits(cases: list[tuple[str, str, Verdict]]) -> int:
    """Compare each (v1 body, v2 body) of an object handler that then sleeps: the verdict
    expected, and an unknown's reason says the computation changed. How many were checked."""
    checked = 0
    for v1, v2, expected in cases:
        d = obj_verdict(f"{v1}\nawait ctx.sleep(timedelta(minutes=30))", f"{v2}\nawait ctx.sleep(timedelta(minutes=30))")
        assert d.verdict is expected, (v2, d.reason)
        if expected is Verdict.UNKNOWN:
            assert "its computation changed" in d.reason, d.reason
        checked += 1
    return checked


def test_a_function_imported_from_a_project_module_is_read_by_its_code():
    """`ctx.set("label", label(req))` with `label` in shop/text.py: its body changed, the value may
    be another and replay compares it (it was compatible: only the name was read). Imported
    another way, or moved to a module of another name, with the same code, it is the same
    computation (it was unknown: the module's name was read as part of the value)."""
    app = PRELUDE.replace("import somelib\n", "import somelib\n{imports}\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: str) -> None:\n    ctx.set('label', {call})\n")
    text = "def label(s: str) -> str:\n    return s.{how}()\n"
    old, _ = shapes_of_sources({"shop/__init__.py": "", "shop/text.py": text.format(how="upper"),
                                "shop/app.py": app.format(imports="from shop.text import label", call="label(req)")})
    checked = 0
    for where, imports, call, how, expected in (
            ("shop/text.py", "from shop.text import label", "label(req)", "upper", Verdict.COMPATIBLE),
            ("shop/text.py", "from shop import text", "text.label(req)", "upper", Verdict.COMPATIBLE),
            ("shop/text.py", "import shop.text", "shop.text.label(req)", "upper", Verdict.COMPATIBLE),
            ("shop/text.py", "from shop.text import label", "label(req)", "lower", Verdict.UNKNOWN),
            ("shop/text.py", "from shop import text", "text.label(req)", "lower", Verdict.UNKNOWN),
            ("shop/text.py", "import shop.text", "shop.text.label(req)", "lower", Verdict.UNKNOWN),
            # moved, unchanged, to a module of another name: the same computation (p156)
            ("shop/words.py", "from shop.words import label", "label(req)", "upper", Verdict.COMPATIBLE),
            ("shop/words.py", "from shop import words", "words.label(req)", "upper", Verdict.COMPATIBLE)):
        new, problems = shapes_of_sources({"shop/__init__.py": "", where: text.format(how=how),
                                           "shop/app.py": app.format(imports=imports, call=call)})
        assert problems == []
        d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
        assert d.verdict is expected, (where, imports, how, d.reason)
        if expected is Verdict.UNKNOWN:
            assert "value is computed at run time and its computation changed (it reads code that changed: `label` (shop/text.py:1))" \
                in d.reason, d.reason
        checked += 1
    assert checked == 8
    # a function of the module's own is named the same way
    d = obj_verdict('ctx.set("k", work(req["a"]))', 'ctx.set("k", work(req["a"]))', helpers2="def work(x=0):\n    return x + 1\n")
    assert d.verdict is Verdict.UNKNOWN and "(it reads code that changed: `work` (app.py:" in d.reason, d.reason


def test_an_import_the_module_rebinds_later_is_not_followed():
    """restatedev/docs-restate 4137afd978: `import src.develop.my_service as my_service`, then
    `my_service = Service("MyService")` in the same module. The handlers see the Service (the
    later binding), whose `my_handler` no module defines; rea followed the import to the other
    module's handler `myHandler` and called dropping the import `breaking`."""
    other = ('import restate\n\nmy_service = restate.Service("MyService")\n\n\n@my_service.handler("myHandler")\n'
             'async def my_handler(ctx: restate.Context, greeting: str) -> str:\n    return greeting\n')
    timers = ('import restate\n{imports}\nmy_service = restate.Service("MyService")\n\n\n@my_service.handler()\n'
              'async def my_handler(ctx: restate.Context, arg: str) -> None:\n    return None\n\n\n@my_service.handler()\n'
              'async def timer_handler(ctx: restate.Context, arg: str) -> None:\n    await ctx.service_call({target}, "Hi")\n')
    files = {"src/__init__.py": "", "src/develop/__init__.py": "", "src/develop/my_service.py": other}
    old, _ = shapes_of_sources({**files, "src/develop/timers.py": timers.format(
        imports="import src.develop.my_service as my_service\n", target="my_service.my_handler")})
    new, _ = shapes_of_sources({**files, "src/develop/timers.py": timers.format(imports="", target="my_handler")})
    d = compare_handlers(old[("MyService", "timer_handler")], new[("MyService", "timer_handler")])
    assert d.verdict is Verdict.UNKNOWN and "'myHandler'" not in d.reason, d.reason
    # a constant the module sets after importing that name is the module's own
    app = PRELUDE.replace("import somelib\n", "import somelib\n{imports}\n") + (
        "@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: dict) -> str:\n    return await ctx.get({key}) or ''\n")
    keys = {"shop/__init__.py": "", "shop/keys.py": 'BALANCE = "total"\n'}
    new, _ = shapes_of_sources({**keys, "shop/app.py": app.format(imports="", key='"balance"')})
    for imports, expected in (('from shop.keys import BALANCE\nBALANCE = "balance"', Verdict.COMPATIBLE),
                              ('BALANCE = "balance"\nfrom shop.keys import BALANCE', Verdict.BREAKING),
                              ('from shop.keys import BALANCE\nBALANCE = "balance"\nBALANCE = "balance"', Verdict.UNKNOWN),
                              ('from shop.keys import BALANCE\nBALANCE = "balance"\nfor BALANCE in ["x"]:\n    pass', Verdict.UNKNOWN)):
        old, problems = shapes_of_sources({**keys, "shop/app.py": app.format(imports=imports, key="BALANCE")})
        assert problems == []
        d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
        assert d.verdict is expected, (imports, d.reason)


def test_a_result_decoded_another_way_decides_a_branch_as_before():
    """restatedev/examples 054e63ed added `type_hint=bool` to `if await ctx.get("reserved")`:
    replay hands back the recorded value, whatever it is decoded with, so the branch goes the
    same way (it was "breaks in-flight invocations"). A changed key still forks the branch."""
    v1 = 'if await ctx.get("reserved"):\n    return "taken"\nctx.set("reserved", True)'
    for decoded in ('type_hint=bool', 'serde=restate.serde.JsonSerde()'):
        d = obj_verdict(v1, v1.replace('ctx.get("reserved")', f'ctx.get("reserved", {decoded})'))
        assert d.verdict is Verdict.COMPATIBLE, d.reason
    promised = 'if await ctx.promise("ok").value():\n    ' + RUN_A
    d = wf_verdict(promised, promised.replace('ctx.promise("ok")', 'ctx.promise("ok", type_hint=bool)'))
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = obj_verdict(v1, v1.replace('if await ctx.get("reserved")', 'if await ctx.get("held")'))
    assert d.verdict is Verdict.BREAKING, d.reason


ACCOUNTS = '''\
import restate

account = restate.VirtualObject("account")
UP = "up"


@account.handler()
async def withdraw(ctx: restate.ObjectContext, cents: int) -> bool:
    return cents < 100
'''
PAYMENTS = '''\
import restate
{imports}

payments = restate.VirtualObject("payments")


@payments.handler()
async def pay(ctx: restate.ObjectContext, cents: int) -> str:
    if await ctx.get("status") == {up}:
        return "done"
    ok = await ctx.object_call({withdraw}, key="acct", arg=cents)
    if ok:
        ctx.set("status", "paid")
    return "ok"
'''


def test_a_module_that_became_part_of_a_package_changes_no_condition():
    """restatedev/examples 00ec8104 added `__init__.py` files: `from utils import Status`
    became `from statefulactors.utils import Status`, the same file. A condition on an
    imported name, or on a call's result, is computed the same way (it was "breaks in-flight
    invocations" on four handlers). Naming the called handler another way changes nothing
    either; a condition on another value still forks the branch."""

    def pay(files: dict[str, str]):
        shapes, problems = shapes_of_sources(files)
        assert problems == []
        return shapes[("payments", "pay")]

    old = pay({"svc/accounts.py": ACCOUNTS, "svc/app.py": PAYMENTS.format(
        imports="from accounts import withdraw, UP", up="UP", withdraw="withdraw")})
    for imports, up, withdraw in (
        ("from svc.accounts import withdraw, UP", "UP", "withdraw"),
        ("from svc import accounts\nfrom svc.accounts import UP", "UP", "accounts.withdraw"),
    ):
        new = pay({"svc/__init__.py": "", "svc/accounts.py": ACCOUNTS, "svc/app.py": PAYMENTS.format(
            imports=imports, up=up, withdraw=withdraw)})
        d = compare_handlers(old, new)
        assert d.verdict is Verdict.COMPATIBLE, (imports, d.reason)
    # the constant read from another module: by what it holds (the same literal moved is the same value)
    for literal, verdict in (('"up"', Verdict.COMPATIBLE), ('"raised"', Verdict.BREAKING)):
        other = pay({"svc/accounts.py": ACCOUNTS, "svc/other.py": f"UP = {literal}\n", "svc/app.py": PAYMENTS.format(
            imports="from accounts import withdraw\nfrom other import UP", up="UP", withdraw="withdraw")})
        assert compare_handlers(old, other).verdict is verdict, literal


def test_a_handler_with_too_many_ways_is_compatible_when_it_journals_the_same_and_unknown_when_it_changed():
    """restate-sdk's test-services command interpreter has more ways through it than rea replays
    (`OLD_PATHS_CAP`): `rea diff` said unknown on 106 of its 189 commits that touch Python, most of
    which never touched the handler. Journaling the same, with lines moved, is compatible; a
    change is unknown, saying the cap; a change before the branches still breaks."""
    from rea_lint.journal.compare import OLD_PATHS_CAP

    branches = "\n".join(f'if req["k{i}"]:\n    await ctx.run("r{i}", lambda: {i})' for i in range(13))
    assert 2 ** 13 > OLD_PATHS_CAP
    d = verdict(branches, "print('moved')\n\n" + branches)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    assert d.old.line == d.new.line and "the same way" in d.reason
    d = verdict(branches, branches + f"\n{RUN_B}")
    assert d.verdict is Verdict.UNKNOWN and f"more than {OLD_PATHS_CAP} paths" in d.reason, d.reason
    d = verdict(f"{RUN_A}\n{branches}", f"{RUN_B}\n{branches}")
    assert d.verdict is Verdict.UNKNOWN, d.reason  # (the cap comes first, and there is no loop to run fewer times)
    same = verdict(f"await somelib.do(ctx, 1)\n{branches}", f"x = 1\nawait somelib.do(ctx, 1)\n{branches}")
    assert same.verdict is Verdict.COMPATIBLE, same.reason
    changed = verdict(f"await somelib.do(ctx, 1)\n{branches}", f"await somelib.do(ctx, 2)\n{branches}")
    assert changed.verdict is Verdict.UNKNOWN, changed.reason


def test_clear_to_clear_all_breaks():
    d = obj_verdict('ctx.clear("k")', "ctx.clear_all()")
    assert d.verdict is Verdict.BREAKING


def test_state_keys_and_get_same_is_compatible():
    d = obj_verdict("keys = await ctx.state_keys()\nv = await ctx.get('a')", "ks = await ctx.state_keys()\nv = await ctx.get('a')\nctx.set('b', 1)")
    assert d.verdict is Verdict.COMPATIBLE


def wf_verdict(v1: str, v2: str):
    return verdict(v1, v2, decorator="@wf.main()", ctx_type="restate.WorkflowContext")


def test_promise_name_changed_breaks():
    d = wf_verdict('v = await ctx.promise("approval").value()', 'v = await ctx.promise("approved").value()')
    assert d.verdict is Verdict.BREAKING and d.divergence.old.kind.value == "get_promise"


def test_promise_forms_are_the_same_operation():
    d = wf_verdict('p = ctx.promise("approval")\nv = await p.value()', 'v = await ctx.promise("approval")')
    assert d.verdict is Verdict.COMPATIBLE


def test_promise_peek_vs_value_breaks():
    d = wf_verdict('v = await ctx.promise("p").peek()', 'v = await ctx.promise("p").value()')
    assert d.verdict is Verdict.BREAKING


def test_awakeable_is_not_journaled():
    # ctx.awakeable() writes no command: adding one before a run does not shift the journal
    d = verdict(RUN_A, f"aid, fut = ctx.awakeable()\n{RUN_A}")
    assert d.verdict is Verdict.COMPATIBLE
    d = verdict(RUN_A, f'ctx.resolve_awakeable("id", 1)\n{RUN_A}')
    assert d.verdict is Verdict.BREAKING


HELPER_V1 = '''
async def charge(c, amount):
    await c.run("charge", lambda: amount)
'''
HELPER_V2 = '''
async def charge(c, amount):
    await c.run("reserve", lambda: amount)
    await c.run("charge", lambda: amount)
'''


def test_helper_taking_context_is_followed():
    d = verdict(f"await charge(ctx, 5)\n{RUN_A}", f"await charge(ctx, 5)\n{RUN_A}", HELPER_V1, HELPER_V2)
    assert d.verdict is Verdict.BREAKING
    assert d.divergence.index == 1 and d.divergence.new.via  # reached through charge(...)
    assert "reserve" in d.divergence.new.text


def test_inlining_into_helper_is_compatible():
    v2_helper = '''
async def do_a(c):
    await c.run("a", lambda: 1)
'''
    d = verdict(f"{RUN_A}\n{RUN_B}", f"await do_a(ctx)\n{RUN_B}", "", v2_helper)
    assert d.verdict is Verdict.COMPATIBLE


def test_code_moved_into_a_helper_that_takes_the_same_values_is_compatible():
    """`ctx.generic_call(req["service"], ...)` moved into `do_call(ctx, req)` (restatedev/sdk-python
    118a879): a helper's parameter reads as what its caller passed, so the call computes the same
    service and key; passing something else is still a different computation."""
    helper = '''
def do_call(c, r):
    return c.generic_call(r["service"], "h", b"1", key=r.get("key"))
'''
    d = verdict('await ctx.generic_call(req["service"], "h", b"1", key=req.get("key"))', "await do_call(ctx, req)", "", helper)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = verdict('await ctx.generic_call(req["service"], "h", b"1", key=req.get("key"))', 'await do_call(ctx, req["inner"])', "", helper)
    assert d.verdict is Verdict.UNKNOWN and "computed at run time" in d.reason, d.reason
    # a literal passed to the helper is that literal there
    getter = "\nasync def read(c, key):\n    return await c.get(key)\n"
    d = obj_verdict('v = await ctx.get("balance")', 'v = await read(ctx, "balance")', helpers1="", helpers2=getter)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = obj_verdict('v = await ctx.get("balance")', 'v = await read(ctx, key="total")', helpers1="", helpers2=getter)
    assert d.verdict is Verdict.BREAKING and "key 'balance' != 'total'" in d.reason, d.reason


def test_recursive_helper_is_unknown():
    helper = '''
async def again(c, n):
    await c.run("x", lambda: 1)
    if n:
        await again(c, n - 1)
'''
    d = verdict("await again(ctx, 3)", "await again(ctx, 3)\n" + RUN_A, helper, helper.replace('"x"', '"y"'))
    assert d.verdict is Verdict.BREAKING  # the first operation differs before the recursion
    # the path that recurses is cut with an unknown (the same call in both: it journals the
    # same); the path that does not recurse shows the break at index 2 exactly
    d = verdict("await again(ctx, 3)\n" + RUN_A, "await again(ctx, 3)\n" + RUN_B, helper, helper)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 2
    shape = shapes_of_source(module("await again(ctx, 3)", helper), "app.py")[("svc", "h")]
    assert "recursion" in repr(shape.shape)


BALANCE_V1 = """
@obj.handler()
async def get_balance(ctx: restate.ObjectContext) -> int:
    return await ctx.get("balance") or 0
"""


def test_a_handler_function_called_directly_journals_its_own_operations():
    """`await get_balance(ctx)` runs the handler's body in the caller's journal (the SDK's
    decorator only wraps the call): what it journals is followed, as a helper's is. Before,
    every such call was unknown (21 verdicts over restatedev/ai-examples' history)."""
    body = "n = await get_balance(ctx)\nctx.set('balance', n + 1)"
    d = obj_verdict(body, body, helpers1=BALANCE_V1, helpers2=BALANCE_V1.replace('"balance"', '"total"'))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1, d.reason
    assert d.divergence.new.via and "get_balance(ctx)" in d.divergence.new.via[0]
    d = obj_verdict(body, "total = await get_balance(ctx)\nctx.set('balance', total + 1)", helpers1=BALANCE_V1)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    # inlined where it was called directly, and a handler of its own all the same
    shapes = shapes_of_source(module(body, BALANCE_V1, "@obj.handler()", "restate.ObjectContext"), "app.py")
    assert [op.label() for op in shapes[("obj", "h")].ops()] == ["get_state 'balance'", "set_state 'balance'"]
    assert [op.label() for op in shapes[("obj", "get_balance")].ops()] == ["get_state 'balance'"]


def test_an_async_helper_called_without_await_journals_nothing():
    """`resolve_awakeable(ctx, cmd)` as a statement makes a coroutine and drops it: nothing of
    its body runs (restatedev/sdk-python's test services, until a commit added the `await`,
    which is a break for invocations that passed it). A plain `def` helper runs all the same."""
    helpers = '''
async def mark(c):
    c.set("mark", 1)


def mark_now(c):
    c.set("mark", 1)
'''
    shape = shapes_of_source(module(f"mark(ctx)\n{RUN_A}", helpers, "@obj.handler()", "restate.ObjectContext"), "app.py")
    assert [op.label() for op in shape[("obj", "h")].ops()] == ["run 'a'"]
    d = obj_verdict(f"mark(ctx)\n{RUN_A}", f"await mark(ctx)\n{RUN_A}", helpers1=helpers)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1, d.reason
    d = obj_verdict(f"mark(ctx)\n{RUN_A}", f"mark_now(ctx)\n{RUN_A}", helpers1=helpers)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1, d.reason
    d = obj_verdict(f"mark_now(ctx)\n{RUN_A}", f"c = ctx\nmark_now(c)\n{RUN_A}", helpers1=helpers)
    assert d.verdict is not Verdict.COMPATIBLE  # (the context as a value: not followed)
    shape = shapes_of_source(module(f"mark_now(ctx)\n{RUN_A}", helpers, "@obj.handler()", "restate.ObjectContext"), "app.py")
    assert [op.label() for op in shape[("obj", "h")].ops()] == ["set_state 'mark'", "run 'a'"]


AGENT_LOOP = """
async def agent(ctx: restate.Context, req: dict):
    while True:
        done = await ctx.run("step", lambda: 1)
        if done:
            return done
        await ctx.sleep(timedelta(seconds=1))
"""


def test_a_helper_that_returns_from_inside_its_loop_is_followed():
    """An agent loop (`while True: ... if done: return r`) inlined: its caller goes on after it."""
    v1 = 'x = await agent(ctx, req)\nawait ctx.run("after", lambda: x)'
    d = verdict(v1, v1.replace('"after"', '"later"'), AGENT_LOOP)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 2  # step (1), then the caller's run (2)
    assert d.divergence.old.text.startswith("ctx.run('after'")
    # appended after the call: every old journal still replays
    assert verdict(v1, v1 + '\nawait ctx.run("extra", lambda: 1)', AGENT_LOOP).verdict is Verdict.COMPATIBLE
    # the loop's body changed after its return: the second iteration diverges
    d = verdict(v1, v1, AGENT_LOOP, AGENT_LOOP.replace("await ctx.sleep(timedelta(seconds=1))",
                                                        'await ctx.sleep(timedelta(seconds=1))\n        await ctx.run("log", lambda: 1)'))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3 and d.divergence.new.text.startswith("ctx.run('log'")
    shape = shapes_of_source(module(v1, AGENT_LOOP), "app.py")[("svc", "h")]
    assert "Inlined" in repr(shape.shape) and "Unknown" not in repr(shape.shape)


def test_too_many_ways_through_loops_still_shows_a_break_along_fewer_iterations():
    """Inlining an agent loop multiplies the ways through a handler past the cap. The ways that
    run each loop once are some of them: a break along one is a break; none found is unknown."""
    from rea_lint.journal.compare import OLD_PATHS_CAP

    ifs = "\n".join(f'    if req["k{i}"]:\n        await ctx.run("r{i}", lambda: {i})' for i in range(6))
    loop = f'for item in req["items"]:\n{ifs}'
    d = verdict(f"{RUN_A}\n{loop}", f"{RUN_B}\n{loop}")
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1, d.reason
    assert f"more than {OLD_PATHS_CAP} ways" in d.reason and "run each loop once" in d.reason
    d = verdict(f"{loop}\n{RUN_A}", f"{loop}\n{RUN_A}\n{RUN_B}")  # appended: nothing found, nothing proven
    assert d.verdict is Verdict.UNKNOWN and f"more than {OLD_PATHS_CAP} paths" in d.reason, d.reason


def test_a_break_that_depends_on_a_changed_condition_says_so():
    """A guard rewritten (`req["a"] is None` -> `"a" not in req`) may go the other way for an
    invocation in flight: the break is reported with the condition it depends on."""
    guard = 'if req["a"] is None:\n    raise restate.TerminalError("no a")\n'
    d = verdict(guard + RUN_A, guard.replace('req["a"] is None', '"a" not in req') + RUN_A)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1 and d.divergence.new is None
    assert d.divergence.assuming == ("`'a' not in req` (app.py:32)",)
    assert "along a way that depends on `'a' not in req` (app.py:32)" in d.reason
    # the same guard on both sides decides the same way: a break after it depends on nothing
    d = verdict(guard + RUN_A, guard + RUN_B)
    assert d.verdict is Verdict.BREAKING and d.divergence.assuming == () and "depends on" not in d.reason


def test_a_polling_loop_journals_its_condition_before_each_iteration_and_after_the_last():
    """`while await ctx.run("status", ...) == "PENDING": await ctx.sleep(...)` (restatedev/examples'
    eventtransactions): the condition's run is journaled once more than the body runs."""
    poll = ('while await ctx.run("status", lambda: 1) == "PENDING":\n'
            '    await ctx.sleep(timedelta(seconds=5))\n')
    assert verdict(poll + RUN_A, poll + RUN_A + "\n" + RUN_B).verdict is Verdict.COMPATIBLE
    d = verdict(poll + RUN_A, poll + RUN_B)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 2  # status (1), then the run after the loop (2)
    d = verdict(poll + RUN_A, poll.replace("seconds=5))", "seconds=5))\n    await ctx.run('log', lambda: 1)") + RUN_A)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3  # status, sleep, then `log` where status was
    shape = shapes_of_source(module(poll + RUN_A), "app.py")[("svc", "h")]
    assert [op.text for op in shape.ops()].count("ctx.run('status', lambda: 1)") == 2
    # a `continue` would skip the condition's run at the end of the body: not modelled
    looping = poll + '    if req["x"]:\n        continue\n'
    d = verdict(looping + RUN_A, looping + RUN_B)
    assert d.verdict is Verdict.UNKNOWN and "whose body has a `continue`" in d.reason


def test_a_while_true_loop_ends_only_by_a_jump():
    """`while True` never stops on its own: no way through it skips its body."""
    v1 = 'while True:\n    if await ctx.run("s", lambda: 1):\n        break\nawait ctx.run("after", lambda: 1)'
    d = verdict(v1, v1.replace('"after"', '"later"'))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 2  # never 1: the body runs at least once
    d = verdict(v1.replace("while True", "while req"), v1.replace("while True", "while req").replace('"after"', '"later"'))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1  # a condition may stop it at once


def test_a_return_inside_try_runs_its_finally_first():
    """`try: ... return ... finally: await ctx.run(...)`: the finally is journaled after the
    return, on both sides of the comparison."""
    v1 = ('try:\n    await ctx.run("a", lambda: 1)\n    if req["x"]:\n        return "early"\n'
          'finally:\n    await ctx.run("cleanup", lambda: 1)\nawait ctx.run("b", lambda: 1)')
    assert verdict(v1, v1 + '\nawait ctx.run("c", lambda: 1)').verdict is Verdict.COMPATIBLE
    d = verdict(v1, v1.replace('"cleanup"', '"tidy"'))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 2
    # and a helper's return inside its try, inlined, runs the helper's finally before the caller goes on
    helper = ('async def guarded(ctx: restate.Context):\n    try:\n        if await ctx.run("probe", lambda: 1):\n'
              '            return 1\n        await ctx.run("slow", lambda: 1)\n    finally:\n'
              '        await ctx.run("release", lambda: 1)\n    return 2\n')
    v1 = 'await guarded(ctx)\nawait ctx.run("after", lambda: 1)'
    assert verdict(v1, v1 + '\nawait ctx.run("c", lambda: 1)', helper).verdict is Verdict.COMPATIBLE
    d = verdict(v1, v1.replace('"after"', '"later"'), helper)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3  # probe, release, after


def test_kind_changed_and_removed_and_added():
    v1 = module(RUN_A)
    v2 = v1.replace("@obj.handler()\nasync def add", '@obj.handler(kind="shared")\nasync def add').replace(
        "async def other2", "async def other3"
    )
    old, new = shapes_of_source(v1, "a.py"), shapes_of_source(v2, "a.py")
    diff = diff_projects(old, new)
    verdicts = {h.key: h.verdict for h in diff.handlers}
    assert verdicts[("obj", "add")] is Verdict.KIND_CHANGED
    changed = next(h for h in diff.handlers if h.verdict is Verdict.KIND_CHANGED)
    assert changed.reason.startswith("the handler changed from a virtual object's exclusive handler to a virtual object's shared handler: ")
    assert verdicts[("svc", "other2")] is Verdict.REMOVED
    assert verdicts[("svc", "other3")] is Verdict.ADDED
    assert verdicts[("svc", "h")] is Verdict.COMPATIBLE
    assert diff.breaking
    removed = next(h for h in diff.handlers if h.verdict is Verdict.REMOVED)
    assert "renamed to svc/other3" not in removed.reason  # a different function: not a rename


def test_renamed_handler_is_reported_as_removed_with_hint():
    v1 = module(RUN_A)
    v2 = v1.replace('@svc.handler()\nasync def h(', '@svc.handler(name="h2")\nasync def h(')
    diff = diff_projects(shapes_of_source(v1, "a.py"), shapes_of_source(v2, "a.py"))
    removed = next(h for h in diff.handlers if h.verdict is Verdict.REMOVED)
    assert removed.key == ("svc", "h") and "renamed to svc/h2" in removed.reason


def test_a_positional_handler_name_is_the_registered_one():
    """`handler("charge")` registers "charge" (the SDK's first parameter is `name`): renaming it
    removes the handler and breaks its callers; renaming only the function changes nothing."""
    base = (
        "import restate\nfrom datetime import timedelta\n\npay = restate.Service('Payments')\norders = restate.Service('Orders')\n\n\n"
        "@pay.handler({name})\nasync def {fn}(ctx: restate.Context, amount: int) -> str:\n    return 'ok'\n\n\n"
        "@orders.handler()\nasync def place(ctx: restate.Context, amount: int) -> str:\n"
        "    await ctx.run('reserve', lambda: 1)\n    await ctx.service_call({fn}, arg=amount)\n"
        "    await ctx.sleep(timedelta(days=1))\n    return 'ok'\n"
    )
    old = shapes_of_source(base.format(name='"charge"', fn="charge"), "app.py")
    assert set(old) == {("Payments", "charge"), ("Orders", "place")}
    renamed = diff_projects(old, shapes_of_source(base.format(name='"chargeV2"', fn="charge"), "app.py"))
    verdicts = {h.key: h.verdict for h in renamed.handlers}
    assert verdicts == {("Payments", "charge"): Verdict.REMOVED, ("Payments", "chargeV2"): Verdict.ADDED, ("Orders", "place"): Verdict.BREAKING}
    assert renamed.breaking
    # the function renamed, the registered name kept (positionally or as `name=`): Restate sees no change
    for name in ('"charge"', 'name="charge"'):
        kept = diff_projects(old, shapes_of_source(base.format(name=name, fn="charge_payment"), "app.py"))
        assert {h.key: h.verdict for h in kept.handlers} == {("Payments", "charge"): Verdict.COMPATIBLE, ("Orders", "place"): Verdict.COMPATIBLE}
    # no name, an empty one, or one computed at run time: the SDK (or rea) uses the function's name
    for name in ("", '""', "None"):
        assert ("Payments", "charge") in shapes_of_source(base.format(name=name, fn="charge"), "app.py")


def test_a_handler_defined_in_several_apps_is_compared_app_by_app():
    """A repository of several apps (restatedev/examples) defines svc/h in each: every app is
    a deployment, and a break in the second must not hide behind the first."""
    a, b = module(RUN_A), module(f"{RUN_A}\n{RUN_B}")
    old, problems = shapes_of_sources({"apps/a/app.py": a, "apps/b/app.py": b})
    new, _ = shapes_of_sources({"apps/a/app.py": a, "apps/b/app.py": module(f"{RUN_B}\n{RUN_A}")})
    assert problems == [] and len(old.definitions(("svc", "h"))) == 2
    diff = diff_projects(old, new)
    verdicts = {(h.new.path, h.key): h.verdict for h in diff.handlers}
    assert len(diff.handlers) == 8 and len(verdicts) == 8  # 4 handlers in each of the 2 apps
    assert verdicts[("apps/a/app.py", ("svc", "h"))] is Verdict.COMPATIBLE
    assert verdicts[("apps/b/app.py", ("svc", "h"))] is Verdict.BREAKING
    assert diff.breaking and diff.problems == []


def test_an_app_moved_or_gone_in_a_repository_of_several():
    a, b = module(RUN_A), module(f"{RUN_A}\n{RUN_B}")
    old, _ = shapes_of_sources({"apps/a/app.py": a, "apps/b/app.py": b})
    # the second app's directory renamed: paired by function and file name, not removed and added
    moved = diff_projects(old, shapes_of_sources({"apps/a/app.py": a, "apps/renamed/app.py": b})[0])
    assert {h.verdict for h in moved.handlers} == {Verdict.COMPATIBLE} and len(moved.handlers) == 8
    assert {h.new.path for h in moved.handlers} == {"apps/a/app.py", "apps/renamed/app.py"}
    # and each app's file renamed: paired by function and directory
    renamed = diff_projects(old, shapes_of_sources({"apps/a/main.py": a, "apps/b/main.py": b})[0])
    assert {h.verdict for h in renamed.handlers} == {Verdict.COMPATIBLE} and len(renamed.handlers) == 8
    assert {(h.old.path, h.new.path) for h in renamed.handlers} == {("apps/a/app.py", "apps/a/main.py"), ("apps/b/app.py", "apps/b/main.py")}
    # a file moved within its app: nearer its old place than any other app's definition
    moved_in = diff_projects(old, shapes_of_sources({"apps/a/app.py": a, "apps/b/services/svc.py": b})[0])
    assert {h.verdict for h in moved_in.handlers} == {Verdict.COMPATIBLE} and len(moved_in.handlers) == 8
    # an app deleted and another added elsewhere: two apps, not one moved (nothing tells them apart)
    apart = diff_projects(old, shapes_of_sources({"apps/a/app.py": a, "other/c/main.py": b})[0])
    assert sorted(h.verdict.value for h in apart.handlers if h.key == ("svc", "h")) == ["added", "compatible", "removed"]
    # the second app deleted: one removed per handler of it, naming where the handler lives on
    gone = diff_projects(old, shapes_of_sources({"apps/a/app.py": a})[0])
    assert len(gone.handlers) == 8 and {h.old.path for h in gone.handlers if h.verdict is Verdict.REMOVED} == {"apps/b/app.py"}
    assert sum(h.verdict is Verdict.REMOVED for h in gone.handlers) == 4
    h = next(h for h in gone.handlers if h.verdict is Verdict.REMOVED and h.key == ("svc", "h"))
    assert "of apps/b/app.py is gone" in h.reason and "only in apps/a/app.py" in h.reason
    # a third app added beside them: its handlers are added, the others still compared in place
    three = diff_projects(old, shapes_of_sources({"apps/a/app.py": a, "apps/b/app.py": b, "apps/c/main.py": module(RUN_B)})[0])
    assert len(three.handlers) == 12 and not three.breaking
    assert {h.new.path for h in three.handlers if h.verdict is Verdict.ADDED} == {"apps/c/main.py"}
    assert sum(h.verdict is Verdict.COMPATIBLE for h in three.handlers) == 8


def test_a_handler_defined_in_each_test_of_a_module_is_paired_by_function():
    """sdk-python's tests/servercontext.py makes `greeter/greet` in each test function: a test
    inserted between two others is new, and moves no other test's handler."""

    def test(name: str, run: str) -> str:
        return (f"def {name}():\n    greeter = restate.Service('greeter')\n\n    @greeter.handler()\n"
                f"    async def greet(ctx: restate.Context, who: str) -> str:\n        await ctx.run('{run}', lambda: 1)\n"
                "        return who\n\n\n")

    old_text = "import restate\n\n\n" + test("test_one", "a") + test("test_two", "b")
    new_text = "import restate\n\n\n" + test("test_one", "a") + test("test_new", "x") + test("test_two", "b")
    old, new = shapes_of_sources({"tests/t.py": old_text})[0], shapes_of_sources({"tests/t.py": new_text})[0]
    assert len(old.definitions(("greeter", "greet"))) == 2 and len(new.definitions(("greeter", "greet"))) == 3
    verdicts = sorted((h.verdict.value, (h.new or h.old).function) for h in diff_projects(old, new).handlers)
    assert verdicts == [("added", "test_new.<locals>.greet"), ("compatible", "test_one.<locals>.greet"), ("compatible", "test_two.<locals>.greet")]


def test_breaking_verdict_names_states_and_advice():
    d = verdict(f"await ctx.sleep(timedelta(seconds=1))\n{RUN_A}", f"await ctx.sleep(timedelta(seconds=1))\n{RUN_B}")
    assert d.verdict is Verdict.BREAKING
    states = d.divergence.states()
    assert "suspended at or after" in states and "ctx.run('a'" in states
    assert "drain" in d.advice and "version" in d.advice


def test_many_independent_branches_are_followed_not_multiplied():
    # eight optional steps and a loop: 256 x 4 ways through the old code; each is replayed on
    # the new code along the decisions it took, so the verdict stays exact
    body = "\n".join(f'if req["c{i}"]:\n    await ctx.run("r{i}", lambda: 1)' for i in range(8))
    body += '\nfor x in req["xs"]:\n    await ctx.run("each", lambda: 1)'
    assert verdict(body, body).verdict is Verdict.COMPATIBLE
    d = verdict(body, body.replace('"r7"', '"r7b"'))
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 1  # when only c7 holds, r7 is first
    d = verdict(body, body + "\nawait ctx.run('done', lambda: 1)")
    assert d.verdict is Verdict.COMPATIBLE


def test_unpacking_cycles_fingerprint_without_recursing_forever():
    body = 'a, b = 0, 1\nfor i in req["n"]:\n    a, b = b, a + b\nctx.set("fib", a)'
    d = obj_verdict(body, body.replace("a, b = 0, 1", "a, b = 0, 2"))
    assert d.verdict is Verdict.UNKNOWN and "computed at run time" in d.reason
    assert obj_verdict(body, body.replace("i in", "j in")).verdict is Verdict.COMPATIBLE


ACCESSED = '''\
from datetime import timedelta

import restate
from restate.ext.pydantic import restate_context
{imports}

svc = restate.Service("Weather")
{helpers}

@svc.handler()
async def forecast(ctx: restate.Context, city: str) -> str:
{body}
    await ctx.sleep(timedelta(minutes=5))
    return "ok"
'''


def _forecast(body: str, helpers: str = "", imports: str = "", extra: dict[str, str] | None = None):
    files = {"app.py": ACCESSED.format(body=textwrap.indent(textwrap.dedent(body).strip("\n"), "    "),
                                       helpers=textwrap.dedent(helpers), imports=imports), **(extra or {})}
    shapes, problems = shapes_of_sources(files)
    assert problems == []
    return shapes[("Weather", "forecast")]


@pytest.mark.parametrize("form", [
    'await restate_context().run_typed("{name}", lambda: city)',
    'c = restate_context()\nawait c.run_typed("{name}", lambda: city)',
    'await geocode(city, "{name}")',
])
def test_a_context_from_an_accessor_is_the_handlers_own(form):
    """`restate_context()` (restate.ext.*, `current_context()` under it) returns the very context
    the SDK passed the handler, so what is journaled through it, in the handler or in a helper
    that takes it so, is compared (a renamed run there was "compatible")."""
    helpers = '''
async def geocode(city, name):
    return await restate_context().run_typed(name, lambda: city)
'''
    old = _forecast(form.format(name="geocode"), helpers)
    assert compare_handlers(old, _forecast(form.format(name="geocode"), helpers)).verdict is Verdict.COMPATIBLE
    d = compare_handlers(old, _forecast(form.format(name="lookup city"), helpers))
    assert d.verdict is Verdict.BREAKING and d.divergence is not None and d.divergence.index == 1, d.reason


def test_an_agent_built_on_an_integration_that_journals_through_the_accessor_is_unknown():
    """restatedev/restate-google-adk-example's ClaimAgent: `runner.run_async(...)` runs an ADK app
    with the SDK's RestatePlugin, or the project's own plugin that calls `current_context()`;
    its whole journal is written there, which rea cannot see (it was "compatible")."""
    body = 'runner = Runner(app=app)\nasync for e in runner.run_async(new_message=city):\n    print(e)'
    sdk = 'from restate.ext.adk import RestatePlugin\nfrom google.adk import Runner, App\n'
    helpers = 'app = App(name="a", plugins=[RestatePlugin()])\n'
    old = _forecast(body, helpers, sdk)
    d = compare_handlers(old, _forecast(body.replace("city", "city.upper()"), helpers, sdk))
    assert d.verdict is Verdict.UNKNOWN and "RestatePlugin" in d.reason, d.reason
    own = {"plugin.py": "from restate.extensions import current_context\n\n\nclass Plugin:\n"
                        "    def before(self):\n        return current_context()\n"}
    mine = 'from plugin import Plugin\nfrom google.adk import Runner, App\n'
    helpers = 'app = App(name="a", plugins=[Plugin()])\n'
    d = compare_handlers(_forecast(body, helpers, mine, own), _forecast(body.replace("city", "city.upper()"), helpers, mine, own))
    assert d.verdict is Verdict.UNKNOWN and "plugin.Plugin" in d.reason, d.reason


SAGA = '''\
compensations = []
try:
    booking = await ctx.service_call(other, 1)
    {store}
    await ctx.run("charge", lambda: 1)
except restate.exceptions.TerminalError:
    for compensation in reversed(compensations):
        await compensation()
    raise
'''


@pytest.mark.parametrize("store,changed", [
    ("compensations.append(lambda: ctx.service_call(other, booking))", "compensations.append(lambda: ctx.service_call(other2, booking))"),
    ("compensations.append(lambda: ctx.run('undo', lambda: 1))", "compensations.append(lambda: ctx.run('release', lambda: 1))"),
    ("async def undo():\n        await ctx.service_call(other, booking)\n    compensations.append(undo)",
     "async def undo():\n        await ctx.service_call(other2, booking)\n    compensations.append(undo)"),
])
def test_a_compensation_kept_to_be_called_later_is_unknown_when_it_changed(store, changed):
    """A saga keeps `lambda: ctx.service_call(cancel, ...)` and calls it when a later step fails:
    what it journals then was invisible, so retargeting it was "compatible". rea does not follow
    the list to the call, so a changed one is unknown; the same one, with an operation appended
    after, is still compatible."""
    d = verdict(SAGA.format(store=store), SAGA.format(store=changed))
    assert d.verdict is Verdict.UNKNOWN and "called later" in d.reason, d.reason
    d = verdict(SAGA.format(store=store), SAGA.format(store=store) + 'await ctx.run("after", lambda: 1)')
    assert d.verdict is Verdict.COMPATIBLE, d.reason


TRY_IN_LOOP = '''\
for item in req["items"]:
    try:
        await ctx.run("step", lambda: item["id"])
    except KeyError:
        pass
await ctx.run("done", lambda: 1)
'''


def test_an_exception_in_a_loop_is_replayed_in_the_iteration_it_was_raised_in():
    """An old way that raised in the second iteration before journaling was replayed raising at
    the end of the first (the same journal position), so an appended operation "broke" at
    index 1 (duksosleepy/restate_server BatchService/submit_batch showed that divergence for a
    real break after the loop). It is compatible; a renamed run after the loop breaks there."""
    d = verdict(TRY_IN_LOOP, TRY_IN_LOOP + 'await ctx.run("notify", lambda: 1)')
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = verdict(TRY_IN_LOOP, TRY_IN_LOOP.replace('"done"', '"finish"'))
    assert d.verdict is Verdict.BREAKING, d.reason
    assert d.divergence is not None and d.divergence.old is not None and "'done'" in d.divergence.old.text, d.reason
    assert d.divergence.new is not None and d.divergence.assuming == (), d.reason


@pytest.mark.parametrize("iterable", ['list(req["items"])', 'sorted(req["items"], key=str)', 'enumerate(req["items"])'])
def test_a_loop_over_the_same_items_kept_in_a_list_runs_as_often(iterable):
    """`for s in x` -> `for s in list(x)` runs the same iterations (karam94/restate-examples
    ffb6eea978 was reported as a certain break where "the new code ends")."""
    v1 = f'for s in req["items"]:\n    {RUN_A}\n{RUN_B}'
    d = verdict(v1, v1.replace('req["items"]:', f"{iterable}:"))
    assert d.verdict is Verdict.COMPATIBLE, d.reason


def test_a_break_along_a_loop_the_journal_does_not_decide_names_the_loop():
    """A loop whose iterable changed may run another number of times: a break that needs it to
    is conditional, and says on what (it was reported as certain, with no condition)."""
    v1 = f'for s in req["items"]:\n    {RUN_A}\n{RUN_B}'
    d = verdict(v1, v1.replace('req["items"]:', 'req["items"][:1]:'))
    assert d.verdict is Verdict.BREAKING and d.divergence is not None, d.reason
    assert d.divergence.assuming and "req['items'][:1]" in d.divergence.assuming[0], d.divergence.assuming
    helpers = 'def as_dict(r):\n    if isinstance(r, dict):\n        return r\n    return {}\n'
    guarded = 'def as_dict(r):\n    if r is None:\n        return {}\n    if isinstance(r, dict):\n        return r\n    return {}\n'
    body = 'for t in as_dict(req).get("tasks", []):\n    ctx.set("task", t)'
    d = compare_handlers(*(shapes_of_source(module(body, h, "@obj.handler()", "restate.ObjectContext"), "app.py")[("obj", "h")]
                           for h in (helpers, guarded)))
    assert d.divergence is not None and d.divergence.assuming, d.reason


TRACED = '''
async def traced_run(ctx, name, fn):
    result = await ctx.run(name, fn)
    print("step", name)
    return result


async def first_of(ctx, name, fn):
    result = await ctx.run(name, fn)
    return result[0]
'''


def test_a_run_moved_into_a_helper_that_returns_its_result_decides_as_before():
    """hydrogen2/EvoIoT 8331b7b7c9 moved every `ctx.run` into `traced_run(ctx, name, fn)`, which
    returns the run's result: a condition on it is decided by the recorded result, as before (it
    was "breaks in-flight invocations" along `not rawtags`). A helper that returns something
    computed from the result is another condition."""
    v1 = f'rawtags = await ctx.run("fetch", work)\nif not rawtags:\n    return "empty"\n{RUN_A}'
    d = verdict(v1, v1.replace('ctx.run("fetch", work)', 'traced_run(ctx, "fetch", work)'), TRACED)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = verdict(v1, v1.replace('ctx.run("fetch", work)', 'first_of(ctx, "fetch", work)'), TRACED)
    assert d.verdict is Verdict.BREAKING and d.divergence is not None and d.divergence.assuming, d.reason


def test_a_changed_compensation_does_not_hide_a_break_before_it_runs():
    """restatedev/docs-restate 7bdd5aa86c changed a compensation and replaced the run 'payment
    id' by `ctx.uuid()`: a kept lambda journals nothing where it is kept, so the run 'charge'
    attempted where 'payment id' was recorded is the break it was, not an unknown."""
    v1 = ('pid = await ctx.run("payment id", lambda: 1)\ncompensations = [lambda: ctx.run("refund", work, args=(pid,))]\n'
          'await ctx.run("charge", work, args=(pid,))')
    v2 = 'pid = ctx.uuid()\ncompensations = [lambda: ctx.run("refund", work, args=(pid,))]\nawait ctx.run("charge", work, args=(pid,))'
    d = verdict(v1, v2)
    assert d.verdict is Verdict.BREAKING and d.divergence is not None and d.divergence.index == 1, d.reason


def test_an_exception_is_replayed_in_the_try_whose_handlers_match():
    """duksosleepy/restate_server 8e2dd2b9c9 BatchService/submit_batch: a loop body with a `try`
    that re-raises (no operation in it) and then one around a call that swallows. An old way where
    the call's `try` raised before the call was replayed raising in the first `try`, whose handler
    ends the handler: "the new code ends" at index 1, where the real break is after the loop."""
    v1 = ('for item in req["items"]:\n    try:\n        k = item["k"]\n    except KeyError:\n        raise ValueError("bad")\n'
          '    try:\n        await ctx.service_call(other, k)\n    except Exception:\n        print("failed")\n'
          'await ctx.run("done", lambda: 1)')
    d = verdict(v1, v1 + '\nawait ctx.run("notify", lambda: 1)')
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = verdict(v1, v1.replace('"done"', '"finish"'))
    assert d.verdict is Verdict.BREAKING and d.divergence is not None and d.divergence.new is not None, d.reason


FACTORY = '''\
import restate


def make():
    front = restate.Service("front")
    tasks = restate.VirtualObject("tasks")

    @tasks.handler()
    async def work(ctx: restate.ObjectContext, x: int) -> int:
        return await ctx.run("{name}", lambda: x)

    @front.handler()
    async def go(ctx: restate.Context, x: int) -> int:
        return await ctx.object_call(work, key="k", arg=x)

    return front, tasks
'''


def test_a_nested_handler_named_in_a_call_is_not_a_kept_compensation():
    """gvdongen/A2A f609afac10: a factory's handler calls another nested handler by reference
    (`ctx.object_call(handle_send_task_request, ...)`); that handler takes a context of its own,
    so it is not code kept to run with the caller's (the caller was unknown when it changed)."""
    shapes = [shapes_of_source(FACTORY.format(name=n), "app.py") for n in ("w", "w2")]
    d = compare_handlers(*(s[("front", "go")] for s in shapes))
    assert d.verdict is Verdict.COMPATIBLE, d.reason


POLL = 'while await ctx.run("status", lambda: 1) == "PENDING":\n    await ctx.sleep(timedelta(seconds=5))\n'
POLL_ONCE = ('status = await ctx.run("status", lambda: 1)\n'
             'while status == "PENDING":\n    await ctx.sleep(timedelta(seconds=5))\n')


def test_a_condition_on_a_result_read_before_the_loop_is_decided_by_the_recorded_result():
    """restatedev/documentation 9684d7435e took the run out of a polling loop's condition
    (`status = await ctx.run(...)`, then `while status == "PENDING"`): the new code sleeps
    again where the old one polled again. Both first tests read the run at index 1, recorded
    once: an invocation that slept there breaks at index 3, where it polled (it was reported at
    index 2 "along a way that depends on `status == 'PENDING'`", a way the recorded result rules
    out: the old code slept at 2 because that result was "PENDING")."""
    d = verdict(POLL + RUN_A, POLL_ONCE + RUN_A)
    assert d.verdict is Verdict.BREAKING and d.divergence is not None, d.reason
    assert d.divergence.index == 3 and d.divergence.assuming == (), d.reason
    assert d.divergence.old.text.startswith("ctx.run('status'") and d.divergence.new.text.startswith("ctx.sleep(")
    # the other way round: an invocation that polled at 3 sleeps there in the new code
    d = verdict(POLL_ONCE + RUN_A, POLL + RUN_A)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3 and d.divergence.assuming == (), d.reason


def test_a_condition_whose_value_the_entries_do_not_pin_is_not_decided_by_them():
    """Only a pure computation of journal entries is decided by them: a local bound twice may
    hold either entry, and a condition that also calls a function (which may read the clock or
    the world) can go both ways over the same entries. Along such a way the break depends on it,
    as on any condition rea cannot decide."""
    v1 = f'if await ctx.run("status", lambda: 1) == "PENDING":\n    {RUN_B}\n{RUN_A}'
    twice = 'status = await ctx.run("status", lambda: 1)\nif req["x"]:\n    status = "DONE"\n'
    d = verdict(v1, twice + f'while status == "PENDING":\n    {RUN_B}\n    break\n{RUN_A}')
    assert d.verdict is Verdict.BREAKING and d.divergence.assuming, d.reason
    for other in ("not work()", "somelib.running"):  # (a module's variable may be set at run time)
        timed = POLL.replace('== "PENDING":', f'== "PENDING" and {other}:')
        once = POLL_ONCE.replace('status == "PENDING":', f'status == "PENDING" and {other}:')
        d = verdict(timed + RUN_A, once + RUN_A)
        assert d.verdict is Verdict.BREAKING and d.divergence.assuming, (other, d.reason)
    # a capitalized name is a class or a constant: `somelib.PENDING` pins the value as "PENDING" does
    d = verdict(POLL.replace('"PENDING"', "somelib.PENDING") + RUN_A, POLL_ONCE.replace('"PENDING"', "somelib.PENDING") + RUN_A)
    assert d.verdict is Verdict.BREAKING and d.divergence.index == 3 and not d.divergence.assuming, d.reason


def test_an_or_condition_goes_on_when_its_first_operand_is_false():
    """`a or b` evaluates `b` when `a` is false: the branch's anchor says so (its first arm
    runs when the computation is false), so a recorded decision is read the right way round."""
    body = 'done = await ctx.run("done", lambda: 1)\nwhile True:\n    if done or await ctx.run("check", lambda: 1):\n        break\n'
    shape = shapes_of_source(module(body), "app.py")[("svc", "h")].shape
    found = []
    todo = [shape]
    while todo:
        n = todo.pop()
        if type(n).__name__ == "Branch" and n.anchor is not None:
            found.append(n)
        todo.extend(inner_nodes(n))
    texts = {n.text: n.anchor.negated for n in found}
    assert texts == {"done": True, "done or await ctx.run('check', lambda: 1)": False}, texts
    # read the right way round: `done` was true, so the new code skips `check` as the old did
    v1 = 'done = await ctx.run("done", lambda: 1)\nif done or await ctx.run("check", lambda: 1):\n    ' + RUN_A
    v2 = ('done = await ctx.run("done", lambda: 1)\nwhile True:\n'
          '    if done or await ctx.run("check", lambda: 1):\n        ' + RUN_A + '\n    break')
    d = verdict(v1, v2)
    assert d.verdict is Verdict.COMPATIBLE, d.reason


MODEL = '''
from pydantic import BaseModel, field_validator


class Response(BaseModel):
    """What the request step returns."""
    success: bool
    error: str | None = None
'''
ON_SUCCESS = f'response = Response(**await ctx.run("http", work))\nif response.success:\n    {RUN_A}\nelse:\n    {RUN_B}'


@pytest.mark.parametrize("change, compatible", [
    ("    codes: list[str] = []\n", True),  # a field added with a default
    ("    model_config = {'frozen': True}\n    codes: list[str] = []\n", False),  # how every field is validated
    ("    codes: list[str]\n", False),  # a field the recorded result has no key for: validation fails
    ("    model_config = {'extra': 'forbid'}\n", False),
    ("    @field_validator('error')\n    @classmethod\n    def no_error(cls, v):\n        return v\n", False),
])
def test_a_condition_on_a_models_field_depends_on_that_field_not_on_the_others(change, compatible):
    """duksosleepy/restate_server 8e2dd2b9c9 gave `HttpResponse(BaseModel)` a field with a
    default: a branch on `response.success` (the model made from a run's result) read as
    changed, and the handler as breaking. The field read is what it was; what can change it
    (its own declaration, a validator, the model's config, a field the result has no key for)
    still counts."""
    d = verdict(ON_SUCCESS, ON_SUCCESS, MODEL, MODEL + change)
    assert (d.verdict is Verdict.COMPATIBLE) is compatible, d.reason
    if not compatible:
        assert d.verdict is Verdict.BREAKING and [a.split(" (")[0] for a in d.divergence.assuming] == ["`response.success`"], d.reason


@pytest.mark.parametrize("v2", [
    MODEL.replace("    success: bool\n", "    success: bool = False\n"),  # the field read got a default
    MODEL.replace("    success: bool\n", "    success: int\n"),
    # a decorated class (a dataclass, attrs): what the decorator makes of it is not read
    "from dataclasses import dataclass\n" + MODEL.replace("class Response", "@dataclass\nclass Response").replace(
        "    error: str | None = None\n", "    code: int = 0\n    error: str | None = None\n"),
])
def test_a_change_to_the_field_a_condition_reads_changes_the_condition(v2):
    d = verdict(ON_SUCCESS, ON_SUCCESS, MODEL, v2)
    assert d.verdict is Verdict.BREAKING and d.divergence.assuming, d.reason


def test_a_model_made_positionally_depends_on_its_field_order():
    """A model made with positional arguments (a dataclass, a named tuple) maps them to its fields
    in order: a field added before the one read moves it."""
    positional = ON_SUCCESS.replace('Response(**await ctx.run("http", work))', 'Response(*await ctx.run("http", work))')
    d = verdict(positional, positional, MODEL, MODEL + "    codes: list[str] = []\n")
    assert d.verdict is Verdict.BREAKING and d.divergence.assuming, d.reason
    validated = ON_SUCCESS.replace('Response(**await ctx.run("http", work))', 'Response.model_validate(await ctx.run("http", work))')
    assert verdict(validated, validated, MODEL, MODEL + "    codes: list[str] = []\n").verdict is Verdict.COMPATIBLE


PROCESS = '''
async def process(ctx, items):
    out = []
    for item in items:
        out.append(await ctx.run("step", lambda: item))
    return out
'''


@pytest.mark.parametrize("guard", ["if not items:\n        return []", "if len(items) == 0:\n        return []",
                                   "if items is None:\n        return []", "if len(items) < 1:\n        return []"])
def test_a_guard_that_returns_before_a_loop_over_nothing_is_no_change(guard):
    """A helper's loop gains `if not items: return []` (the sweep's no-op guard): an invocation
    whose journal shows the loop ran had items, so the guard let it through. It was reported as
    breaking "along a way that depends on `not items`", a way no such invocation takes."""
    v1 = f'await process(ctx, req["items"])\n{RUN_A}'
    d = verdict(v1, v1, PROCESS, PROCESS.replace("    out = []\n", f"    {guard}\n    out = []\n"))
    assert d.verdict is Verdict.COMPATIBLE, d.reason


@pytest.mark.parametrize("guarded", [
    # a guard inside the loop skips falsy items, which the old code ran a step for
    PROCESS.replace("        out.append", "        if not item:\n            continue\n        out.append"),
    # a guard that journals when there is nothing: an invocation that looped over nothing meets it
    PROCESS.replace("    out = []\n", '    if not items:\n        await ctx.run("empty", lambda: 1)\n    out = []\n'),
    # not followed by the loop over what it tests (another list, or a step first)
    PROCESS.replace("    out = []\n", "    if not req_items(items):\n        return []\n    out = []\n"),
    PROCESS.replace("    out = []\n", '    if not items:\n        return []\n    await ctx.run("first", lambda: 1)\n'),
    PROCESS.replace("    out = []\n", "    if len(items) == 1:\n        return []\n    out = []\n"),
])
def test_a_guard_that_can_change_what_runs_still_depends_on_its_condition(guarded):
    v1 = f'await process(ctx, req["items"])\n{RUN_A}'
    d = verdict(v1, v1, PROCESS, guarded)
    assert d.verdict is Verdict.BREAKING and d.divergence.assuming, d.reason


def test_a_certain_break_past_a_value_rea_cannot_compare_is_breaking():
    """A value rea diff cannot compare (its computation changed) does not hide a certain break
    after it: the invocations past the break break either way, so the verdict is breaking, and it
    says they may break from the value on (restate-server 1.7.12: p128)."""
    checked = 0
    key = 'ctx.set("k", req["a"])'
    changed = 'ctx.set("k", req["b"])'
    d = obj_verdict(f"{key}\n{RUN_A}", f"{changed}\n{RUN_B}")
    assert d.verdict is Verdict.BREAKING and d.divergence is not None and d.divergence.index == 2, d.reason
    assert d.divergence.earlier is not None and d.divergence.earlier[0] == 1, d.divergence
    assert "name 'a' != 'b'" in d.reason and "; invocations may break before it, at journal index 1: " in d.reason, d.reason
    assert "value is computed at run time and its computation changed" in d.divergence.earlier[1]
    checked += 1
    # the value alone: unknown, as before; the break alone: no earlier index
    d = obj_verdict(f"{key}\n{RUN_A}", f"{changed}\n{RUN_A}")
    assert d.verdict is Verdict.UNKNOWN and "computation changed" in d.reason, d.reason
    d = obj_verdict(f"{key}\n{RUN_A}", f"{key}\n{RUN_B}")
    assert d.verdict is Verdict.BREAKING and d.divergence is not None and d.divergence.earlier is None, d.reason
    checked += 2
    # a call rea cannot see into, made otherwise, may journal anything: what follows it is not compared
    d = obj_verdict(f"await somelib.do(ctx, 1)\n{RUN_A}", f"await somelib.do(ctx, 2)\n{RUN_B}")
    assert d.verdict is Verdict.UNKNOWN, d.reason
    checked += 1
    # the JSON says where invocations may break from
    d = obj_verdict(f"{key}\n{RUN_A}", f"{changed}\n{RUN_B}")
    data = json.loads(as_json(ProjectDiff([d])))
    assert data["handlers"][0]["divergence"]["may_break_earlier"]["index"] == 1
    assert json.loads(as_json(ProjectDiff([obj_verdict(RUN_A, RUN_B)])))["handlers"][0]["divergence"]["may_break_earlier"] is None
    checked += 1
    assert checked == 5


def test_a_method_of_a_parameters_class_counts_by_its_code():
    """`ctx.set("label", order.label())` computes with `Order.label`'s code: its body changed, the
    value may be another (restate-server 1.7.12: p129). A field read, or another method changed,
    is not this computation; a class of another module is read there."""
    model = ("from pydantic import BaseModel\n\n\nclass Order(BaseModel):\n    sku: str\n\n    def label(self) -> str:\n"
             "        return {label}\n\n    @property\n    def code(self) -> str:\n        return {code}\n\n    def other(self) -> int:\n"
             "        return {other}\n")
    app = ("import restate\n{imports}\n\nobj = restate.VirtualObject('obj')\n\n{classes}\n\n@obj.handler()\n"
           "async def h(ctx: restate.ObjectContext, order: {annotation}) -> None:\n    ctx.set('v', {value})\n")
    base = dict(label="'o ' + self.sku", code="self.sku.upper()", other="1")
    checked = 0
    for value, change, expected, names in (
            ("order.label()", dict(label="'O ' + self.sku"), Verdict.UNKNOWN, "`label`"),
            ("order.code", dict(code="self.sku.lower()"), Verdict.UNKNOWN, "`code`"),
            ("order.label()", dict(other="2"), Verdict.COMPATIBLE, ""),
            ("order.sku", dict(label="'O ' + self.sku"), Verdict.COMPATIBLE, "")):
        for where in ("here", "models"):
            def source(fields: dict[str, str]) -> dict[str, str]:
                # (each place its own code: the same code anywhere is one digest, named where it was first read)
                classes = model.format(**{k: f"{v} + {where!r}" if k != "other" else v for k, v in fields.items()})
                if where == "here":
                    return {"app.py": app.format(imports="", classes=classes, annotation="Order", value=value)}
                return {"models.py": classes, "app.py": app.format(imports="from models import Order", classes="", annotation="Optional[Order]",
                                                                   value=value).replace("import restate\n", "import restate\nfrom typing import Optional\n")}
            old, _ = shapes_of_sources(source(base))
            new, _ = shapes_of_sources(source({**base, **change}))
            d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
            assert d.verdict is expected, (value, change, where, d.reason)
            if names:
                path = "app.py" if where == "here" else "models.py"
                assert f"(it reads code that changed: {names} ({path}:" in d.reason, d.reason
            checked += 1
    assert checked == 8


def test_a_method_of_a_locals_class_counts_by_its_code():
    """A local bound once to an instance rea is sure of (a run's result, a constructor, `get(...)
    or Cart()`): `q.label()` computes with `Quote.label`'s code, here or imported; `q.price` does not."""
    model = ("from pydantic import BaseModel\n\n\nclass Quote(BaseModel):\n    price: int = 1\n\n    def label(self) -> str:\n"
             "        return {label}\n\n\ndef fetch() -> Quote:\n    return Quote(price=1)\n")
    app = ("import restate\n{imports}\n\nobj = restate.VirtualObject('obj')\n\n{classes}\n\n@obj.handler()\n"
           "async def h(ctx: restate.ObjectContext) -> None:\n    q = {bound}\n    ctx.set('v', {value})\n")
    checked = 0
    for bound in ("await ctx.run_typed('fetch', fetch)", "Quote(price=2)", "await ctx.get('q', type_hint=Quote) or Quote()"):
        for value, label, expected in (("q.label()", "'Q ' + str(self.price)", Verdict.UNKNOWN),
                                       ("q.price", "'Q ' + str(self.price)", Verdict.COMPATIBLE),
                                       ("q.label()", "'q ' + str(self.price)", Verdict.COMPATIBLE)):
            for where in ("here", "models"):
                def source(text: str) -> dict[str, str]:
                    classes = model.format(label=text + f" + {where!r}")
                    if where == "here":
                        return {"app.py": app.format(imports="", classes=classes, bound=bound, value=value)}
                    return {"models.py": classes, "app.py": app.format(imports="from models import Quote, fetch", classes="", bound=bound,
                                                                       value=value)}
                old, _ = shapes_of_sources(source("'q ' + str(self.price)"))
                new, _ = shapes_of_sources(source(label))
                d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
                want = expected
                if where == "here" and "Quote(" in bound and label != "'q ' + str(self.price)":
                    want = Verdict.UNKNOWN  # (a class of the module, called, counts by all its code)
                assert d.verdict is want, (bound, value, where, d.reason)
                if want is Verdict.UNKNOWN and value == "q.label()":
                    # (a class of the module counts by its code too: `Quote` may come first)
                    assert "(it reads code that changed: " in d.reason and f"`label` ({'app.py' if where == 'here' else 'models.py'}:" in d.reason, d.reason
                checked += 1
    assert checked == 18


def test_a_field_read_counts_by_its_annotation_and_validators():
    """`ctx.set("v", q.label)` stores what the field holds once the instance is decoded: replay
    decodes a run's result (or the input) with the new class, so the field's annotation and the
    validators that run on it decide the value (restate-server 1.7.12: p138, a validator changed,
    570 at the set). Another field's code, a serializer (it writes, the attribute holds what it
    held) and a method leave it as it was; a property read on the local counts by its code (p131)."""
    model = ("from pydantic import BaseModel, field_serializer, field_validator\n\n\nclass Quote(BaseModel):\n"
             "    label: str = 'a'\n    price: {price} = 1\n\n    @field_validator('label')\n    @classmethod\n"
             "    def norm(cls, v: str) -> str:\n        return {norm}\n\n    @field_serializer('label')\n"
             "    def out(self, v: str) -> str:\n        return {out}\n\n    @property\n    def tag(self) -> str:\n"
             "        return {tag}\n\n\ndef fetch() -> Quote:\n    return Quote()\n")
    app = ("import restate\n{imports}\n\nobj = restate.VirtualObject('obj')\n\n{classes}\n\n@obj.handler()\n"
           "async def h(ctx: restate.ObjectContext, p: Quote) -> None:\n    q = await ctx.run_typed('fetch', fetch)\n"
           "    ctx.set('v', {value})\n")
    base = dict(price="int", norm="v.upper()", out="v", tag="'t' + self.label")
    checked = 0
    for value, change, expected, names in (
            ("q.label", dict(norm="v.lower()"), Verdict.UNKNOWN, "`Quote.label`"),
            ("p.label", dict(norm="v.lower()"), Verdict.UNKNOWN, "`Quote.label`"),
            ("q.price", dict(norm="v.lower()"), Verdict.COMPATIBLE, ""),
            ("q.price", dict(price="float"), Verdict.UNKNOWN, "`Quote.price`"),
            ("q.label", dict(price="float"), Verdict.COMPATIBLE, ""),
            ("q.label", dict(out="v + '!'"), Verdict.COMPATIBLE, ""),
            ("q.tag", dict(tag="'T' + self.label"), Verdict.UNKNOWN, "`tag`"),
            ("q.price", dict(tag="'T' + self.label"), Verdict.COMPATIBLE, "")):
        for where in ("models", "models too"):
            def source(fields: dict[str, str]) -> dict[str, str]:
                classes = model.format(**fields)
                if where == "models":
                    return {"models.py": classes, "app.py": app.format(imports="from models import Quote, fetch", classes="", value=value)}
                return {"shop/__init__.py": "", "shop/models.py": classes,
                        "app.py": app.format(imports="from shop.models import Quote, fetch", classes="", value=value)}
            old, _ = shapes_of_sources(source(base))
            new, _ = shapes_of_sources(source({**base, **change}))
            d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
            assert d.verdict is expected, (value, change, where, d.reason)
            if names:
                assert f"(it reads code that changed: {names} (" in d.reason, d.reason
            checked += 1
    assert checked == 16


def test_a_fields_annotation_spelled_otherwise_reads_the_same():
    """`List[str]` and `list[str]`, `Optional[int]` and `int | None`, a quoted class and the class:
    pydantic reads each pair as one type, so a loop over the field runs as before (restatedev/
    ai-examples 15c7dcdb respelled `prompts: List[str]`; a spelling read as a change made that
    loop's condition new, and a way through it breaking). A real change still counts."""
    app = ("import restate\nfrom typing import List, Optional\nfrom pydantic import BaseModel\n\nobj = restate.VirtualObject('obj')\n\n\n"
           "class Req(BaseModel):\n    prompts: {prompts}\n    limit: {limit} = None\n\n\n@obj.handler()\n"
           "async def h(ctx: restate.ObjectContext, req: Req) -> None:\n    for p in req.prompts:\n"
           "        await ctx.run_typed('call', lambda: p)\n    ctx.set('limit', req.limit)\n")
    old, _ = shapes_of_sources({"app.py": app.format(prompts="List[str]", limit="Optional[int]")})
    checked = 0
    for prompts, limit, expected in (("list[str]", "int | None", Verdict.COMPATIBLE), ("'List[str]'", "None | int", Verdict.COMPATIBLE),
                                     ("list[int]", "Optional[int]", Verdict.BREAKING), ("List[str]", "Optional[float]", Verdict.UNKNOWN)):
        new, _ = shapes_of_sources({"app.py": app.format(prompts=prompts, limit=limit)})
        d = compare_handlers(old[("obj", "h")], new[("obj", "h")])
        assert d.verdict is expected, (prompts, limit, d.reason)
        if expected is Verdict.BREAKING:
            assert d.divergence is not None and d.divergence.assuming, d.reason  # (only along a way the change decides)
        if expected is Verdict.UNKNOWN:
            assert "(it reads code that changed: `Req.limit` (app.py:8))" in d.reason, d.reason
        checked += 1
    assert checked == 4


def test_the_code_a_run_action_calls_is_not_a_helpers_code():
    """A helper that journals a run (`await ctx.run("fetch", lambda: fetch(x))`) and returns what it
    computes from the result: replay gives the recorded result, so a change to `fetch` changes
    nothing the helper returns; a change to how it computes from the result does."""
    helpers = ("def fetch(x):\n    return x.{how}()\n\n\ndef shape(r):\n    return r + '{end}'\n\n\n"
               "async def fetched(ctx, x):\n    r = await ctx.run('fetch', lambda: fetch(x))\n    return shape(r)\n")
    body = 'v = await fetched(ctx, req["a"])\nctx.set("k", v)'
    d = obj_verdict(body, body, helpers1=helpers.format(how="upper", end="!"), helpers2=helpers.format(how="lower", end="!"))
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    d = obj_verdict(body, body, helpers1=helpers.format(how="upper", end="!"), helpers2=helpers.format(how="upper", end="?"))
    assert d.verdict is Verdict.UNKNOWN and "(it reads code that changed: `shape` (app.py:" in d.reason, d.reason


def test_where_the_new_code_ends_first_the_reason_names_the_return_or_raise():
    """A way out taken where the old code went on: the reason and the divergence name the
    `return` or `raise` the new code ends at (or the end of the handler it runs to), the line
    `rea explain` gives for the server's 570 on the handler's output."""
    cases = {
        "return": ('ctx.set("a", 1)\nif len(req) > 2:\n    return "long"\nctx.set("b", 2)',
                   'ctx.set("a", 1)\nif len(req) > 5:\n    return "long"\nctx.set("b", 2)', '`return "long"`, app.py:'),
        "raise": ('ctx.set("a", 1)\nif len(req) > 2:\n    raise TerminalError("no")\nctx.set("b", 2)',
                  'ctx.set("a", 1)\nif len(req) > 5:\n    raise TerminalError("no")\nctx.set("b", 2)', '`raise TerminalError("no")`, app.py:'),
        "the end": ('ctx.set("a", 1)\nctx.set("b", 2)', 'ctx.set("a", 1)', "it runs to the end of the handler"),
    }
    for what, (v1, v2, ending) in cases.items():
        if what == "the end":  # (the test module's handler returns 'ok': this one runs off its end)
            src = ('import restate\nobj = restate.VirtualObject("obj")\n\n@obj.handler()\n'
                   'async def h(ctx: restate.ObjectContext, req: str):\n' + textwrap.indent("{}", "    "))
            d = compare_handlers(shapes_of_source(src.format(v1.replace("\n", "\n    ")), "app.py")[("obj", "h")],
                                 shapes_of_source(src.format(v2.replace("\n", "\n    ")), "app.py")[("obj", "h")])
        else:
            d = obj_verdict(v1, v2)
        assert d.verdict is Verdict.BREAKING, (what, d.reason)
        assert f"where the new code ends ({ending}" in d.reason, (what, d.reason)
        assert d.divergence is not None and d.divergence.new is None and d.divergence.index == 2
        if what == "the end":
            assert d.divergence.ended is None
        else:
            lines = module(v2, "", "@obj.handler()", "restate.ObjectContext").splitlines()
            line = next(n for n, text in enumerate(lines, 1) if text.strip() == v2.splitlines()[2].strip())
            assert (d.divergence.ended.how, d.divergence.ended.line) == (what, line), (what, d.divergence.ended)
            assert f"app.py:{line})" in d.reason
    # a `raise` its `try` catches does not end the handler: the handler's own operation is the break
    caught = ['try:\n    if len(req) > %d:\n        raise ValueError("x")\n    ctx.set("a", 1)\nexcept ValueError:\n'
              '    ctx.set("b", 1)' % n for n in (2, 5)]
    d = obj_verdict(*caught)
    assert d.verdict is Verdict.BREAKING and d.divergence.ended is None, d.reason
    assert d.reason.startswith("`ctx.set('a', 1)` became `ctx.set('b', 1)`"), d.reason
    # the text is the source's, sliced where the parser places it (its columns count UTF-8 bytes)
    d = obj_verdict('ctx.set("a", 1)\nctx.set("b", 2)', 'ctx.set("a", 1)\nif len(req) > 5: raise TerminalError("trop écrit")\nctx.set("b", 2)')
    assert 'where the new code ends (`raise TerminalError("trop écrit")`, app.py:' in d.reason, d.reason
    # a statement over several lines reads as one line, as Python writes it (its first line alone names nothing)
    wide = 'ctx.set("a", 1)\nif len(req) > 5:\n    return {\n        "why": "long",  # a comment\n        "n": len(req),\n    }\nctx.set("b", 2)'
    d = obj_verdict('ctx.set("a", 1)\nctx.set("b", 2)', wide)
    assert "where the new code ends (`return {'why': 'long', 'n': len(req)}`, app.py:" in d.reason, d.reason
    d = obj_verdict('ctx.set("a", 1)\nctx.set("b", 2)', wide.replace('"long"', '"' + "x" * 80 + '"'))
    assert "where the new code ends (`return {'why': 'xxxxxxxx" in d.reason and "...`, app.py:" in d.reason, d.reason
    # a page break above the handler (`str.splitlines` breaks there, the parser does not) moves nothing
    d = obj_verdict('ctx.set("a", 1)\nctx.set("b", 2)', 'ctx.set("a", 1)\nif len(req) > 5:\n    raise TerminalError("no")',
                    helpers1="# page one\n\x0c\n# page two\n")
    assert 'where the new code ends (`raise TerminalError("no")`, app.py:' in d.reason, d.reason


_ERRORS = ("class Base(Exception):\n    pass\n\n\nclass Mine(Base, LookupError):\n    pass\n\n\n"
           "class Theirs(somelib.Base):\n    pass\n")
"""Exception classes of the module for `test_a_raise_inside_a_try_goes_where_python_sends_it`:
one whose every ancestor rea knows, one that derives from a library's class."""


def test_a_raise_inside_a_try_goes_where_python_sends_it():
    """A `raise` added under a new condition inside a `try`, where the old code journals on:
    an `except` that catches it sends the code on (compatible, or the handler's own operation
    is the break); where none does, the handler ends there (breaking); where rea cannot tell
    (a class from a library, an exception in a variable), unknown. rea took every such `raise`
    as the end of the handler: a false "breaking" that restate-server refutes (corpus p170).
    Counts the cases."""
    old = 'ctx.set("a", 1)\nctx.set("b", 2)\n'
    undo = 'ctx.set("undo", 1)'
    cases = [  # (raise, except, the handler's body, verdict, what the reason says)
        ('ValueError("x")', "ValueError", "pass", Verdict.COMPATIBLE, ""),
        ('KeyError("x")', "LookupError", "pass", Verdict.COMPATIBLE, ""),
        ('KeyError("x")', "(ValueError, LookupError)", "pass", Verdict.COMPATIBLE, ""),
        ('OSError("x")', "IOError", "pass", Verdict.COMPATIBLE, ""),
        ('restate.TerminalError("x")', "Exception", "pass", Verdict.COMPATIBLE, ""),
        ('restate.exceptions.TerminalError("x")', "restate.TerminalError", "pass", Verdict.COMPATIBLE, ""),
        ("error", "", "pass", Verdict.COMPATIBLE, ""),
        ("error", "BaseException", "pass", Verdict.COMPATIBLE, ""),
        ('Mine("x")', "Base", "pass", Verdict.COMPATIBLE, ""),
        ('Mine("x")', "KeyError", "pass", Verdict.BREAKING, "where the new code ends (`raise Mine(\"x\")`, app.py:"),
        ('Theirs("x")', "somelib.Base", "pass", Verdict.COMPATIBLE, ""),
        ('ValueError("x")', "KeyError", "pass", Verdict.BREAKING, "where the new code ends (`raise ValueError(\"x\")`, app.py:"),
        ('restate.TerminalError("x")', "ValueError", "pass", Verdict.BREAKING, "where the new code ends (`raise restate.TerminalError"),
        ('ValueError("x")', "Exception", undo, Verdict.BREAKING, "`ctx.set('a', 1)` became `ctx.set('undo', 1)`"),
        ('restate.TerminalError("x")', "restate.TerminalError", undo + "\n    raise", Verdict.BREAKING, "`ctx.set('a', 1)` became `ctx.set('undo', 1)`"),
        ("error", "Exception", "pass", Verdict.UNKNOWN, "rea cannot tell whether `except Exception` (app.py:"),
        ('Theirs("x")', "Exception", "pass", Verdict.UNKNOWN, "rea cannot tell whether `except Exception` (app.py:"),
        # (a library's name may be another name of one of its ancestors: `Base = LookupError`)
        ('Mine("x")', "somelib.Base", "pass", Verdict.UNKNOWN, "rea cannot tell whether `except somelib.Base` (app.py:"),
    ]
    checked = 0
    for exc, clause, body, want, says in cases:
        new = f"error = make()\ntry:\n    if flag():\n        raise {exc}\nexcept{' ' if clause else ''}{clause}:\n    {body}\n" + old
        d = verdict(old, new, helpers1=_ERRORS)
        assert d.verdict is want, (exc, clause, d.reason)
        assert says in d.reason, (exc, clause, d.reason)
        checked += 1
    # a `try` around the one the `raise` is in catches what the inner one does not
    nested = 'try:\n    try:\n        if flag():\n            raise ValueError("x")\n    except KeyError:\n        pass\nexcept ValueError:\n    pass\n' + old
    d = verdict(old, nested)
    assert d.verdict is Verdict.COMPATIBLE, d.reason
    checked += 1
    assert checked == len(cases) + 1 == 19


def test_a_condition_spelled_the_other_way_round_decides_alike():
    """Two spellings of one test decide alike: `not x` with its arms the other way round, a
    guard clause for the `if` it replaced, `is not`/`not in`/`!=` for `is`/`in`/`==`, and a
    comparison with its operands swapped. rea read each as a new condition and said breaking
    "along a way that depends on" it. A test that does change still does. Counts the cases."""
    after = 'ctx.set("c", 3)\n'
    same = [  # (v1, v2): one handler, refactored
        ('if len(req) > 3:\n    ctx.set("a", 1)\nelse:\n    ctx.set("b", 2)\n',
         'if not len(req) > 3:\n    ctx.set("b", 2)\nelse:\n    ctx.set("a", 1)\n'),
        ('if req:\n    ctx.set("a", 1)\n' + after, 'if not req:\n    ctx.set("c", 3)\n    return "ok"\nctx.set("a", 1)\n' + after),
        ('if len(req) > 3:\n    ctx.set("a", 1)\n', 'if 3 < len(req):\n    ctx.set("a", 1)\n'),
        ('if len(req) >= 3:\n    ctx.set("a", 1)\n', 'if 3 <= len(req):\n    ctx.set("a", 1)\n'),
        ('v = await ctx.get("v")\nif v is None:\n    ctx.set("a", 1)\nelse:\n    ctx.set("b", 2)\n',
         'v = await ctx.get("v")\nif v is not None:\n    ctx.set("b", 2)\nelse:\n    ctx.set("a", 1)\n'),
        ('if "x" in req:\n    ctx.set("a", 1)\n', 'if "x" not in req:\n    pass\nelse:\n    ctx.set("a", 1)\n'),
        ('if req == "x":\n    ctx.set("a", 1)\n' + after, 'if req != "x":\n    ctx.set("c", 3)\n    return "ok"\nctx.set("a", 1)\n' + after),
        ('if not not req:\n    ctx.set("a", 1)\n', 'if req:\n    ctx.set("a", 1)\n'),
        ('ctx.set("a", 1 if req else 2)\n', 'ctx.set("a", 2 if not req else 1)\n'),
        ('v = await ctx.get("v")\nassert v is not None, "no v"\nctx.set("a", v)\n',
         'v = await ctx.get("v")\nif v is None:\n    raise AssertionError("no v")\nctx.set("a", v)\n'),
        # a local bound in the test (`:=`) computes what it is bound to
        ('n = len(req)\nif n > 3:\n    ctx.set("a", 1)\n' + after, 'if (n := len(req)) > 3:\n    ctx.set("a", 1)\n' + after),
        # an `if`/`elif` chain on literals as the `match` it became
        ('if req == "a":\n    ctx.set("a", 1)\nelif req == "b":\n    ctx.set("b", 2)\nelse:\n    ctx.set("c", 3)\n' + after,
         'match req:\n    case "a":\n        ctx.set("a", 1)\n    case "b":\n        ctx.set("b", 2)\n    case _:\n        ctx.set("c", 3)\n' + after),
        ('v = await ctx.get("v")\nif v is None:\n    ctx.set("a", 1)\n' + after,
         'v = await ctx.get("v")\nmatch v:\n    case None:\n        ctx.set("a", 1)\n' + after),
        # nested `if`s collapsed into one (ruff's SIM102), and back
        ('if len(req) > 1:\n    if req[0] == "a":\n        ctx.set("a", 1)\n' + after,
         'if len(req) > 1 and req[0] == "a":\n    ctx.set("a", 1)\n' + after),
        ('if req:\n    if not req.isdigit():\n        if req[0] == "a":\n            ctx.set("a", 1)\n' + after,
         'if req and not req.isdigit() and req[0] == "a":\n    ctx.set("a", 1)\n' + after),
        ('if not (req and req[0] == "a"):\n    ctx.set("b", 2)\nelse:\n    ctx.set("a", 1)\n' + after,
         'if req and req[0] == "a":\n    ctx.set("a", 1)\nelse:\n    ctx.set("b", 2)\n' + after),
    ]
    changed = [  # the test itself changed: a break (`not req` for `req` decides the other way, for certain)
        ('if req == "a":\n    ctx.set("a", 1)\nelif req == "b":\n    ctx.set("b", 2)\n' + after,
         'match req:\n    case "b":\n        ctx.set("a", 1)\n    case "a":\n        ctx.set("b", 2)\n' + after),
        ('if req:\n    ctx.set("a", 1)\n' + after, 'if not req:\n    ctx.set("a", 1)\n' + after),
        ('if len(req) > 3:\n    ctx.set("a", 1)\n', 'if 3 > len(req):\n    ctx.set("a", 1)\n'),
        ('if req == "x":\n    ctx.set("a", 1)\n', 'if req != "x":\n    ctx.set("a", 1)\n'),
    ]
    checked = 0
    for v1, v2 in same:
        for old, new in ((v1, v2), (v2, v1)):
            d = obj_verdict(old, new)
            assert d.verdict is Verdict.COMPATIBLE, (old, new, d.reason)
            checked += 1
    for v1, v2 in changed:
        d = obj_verdict(v1, v2)
        assert d.verdict is Verdict.BREAKING, (v1, v2, d.reason)
        checked += 1
    # the reason shows the test as written, not as rea reads it
    d = obj_verdict('ctx.set("a", 1)\n' + after, 'if not req:\n    return "ok"\nctx.set("a", 1)\n' + after)
    assert d.verdict is Verdict.BREAKING and "depends on `not req`" in d.reason, d.reason
    # an `if` inside an `if` with an `else` is no `and`: the inner test still decides alone
    nested_else = 'if req:\n    if req[0] == "a":\n        ctx.set("a", 1)\nelse:\n    ctx.set("b", 2)\n' + after
    d = obj_verdict(nested_else, 'if req and req[0] == "a":\n    ctx.set("a", 1)\nelse:\n    ctx.set("b", 2)\n' + after)
    assert d.verdict is Verdict.BREAKING, d.reason
    checked += 1
    assert checked == 2 * len(same) + len(changed) + 1 == 37


def test_an_if_and_a_loop_on_the_same_test_are_two_conditions():
    """`if items:` and `for item in items:` test the same value, but an `if` decides an arm and
    a loop whether it iterates again: a step added under `if items:` before the loop broke the
    invocations that ran it, and rea, which kept the two decisions as one, said compatible."""
    v1 = f'await process(ctx, req["items"])\n{RUN_A}'
    before = PROCESS.replace("    out = []\n", '    if items:\n        await ctx.run("pre", lambda: 1)\n    out = []\n')
    d = verdict(v1, v1, PROCESS, before)
    assert d.verdict is Verdict.BREAKING, d.reason
    assert d.reason.startswith("`ctx.run('step', lambda: item)` became `ctx.run('pre', lambda: 1)`"), d.reason
    # a `while` on the test an `if` made: likewise
    v1 = 'n = len(req)\nwhile n:\n    ctx.set("b", 2)\n    n -= 1\n'
    d = obj_verdict(v1, v1.replace("while n:", 'if n:\n    ctx.set("pre", 1)\nwhile n:'))
    assert d.verdict is Verdict.BREAKING and d.reason.startswith("`ctx.set('b', 2)` became `ctx.set('pre', 1)`"), d.reason


def test_an_assert_is_read_as_the_raise_it_is():
    """`assert test, msg` runs as `if not test: raise AssertionError(msg)`: rea diff gives the
    two spellings the same verdict, whatever changed (it called a changed assert compatible,
    where the invocations it now stops retry for good). Counts the cases."""
    set_b = 'ctx.set("b", 2)'
    asserted = {  # (v1, v2) as asserts; the `if` spelling is made from them
        "unchanged": ("assert len(req) > 2", "assert len(req) > 2"),
        "test changed": ("assert len(req) > 2", "assert len(req) > 5"),
        "added": ("", "assert len(req) > 5"),
        "removed": ("assert len(req) > 5", ""),
        "message changed": ('assert len(req) > 2, "short"', 'assert len(req) > 2, "too short"'),
        "negated": ("assert len(req) > 2", "assert not len(req) > 2"),
    }

    def as_if(line: str) -> str:
        if not line:
            return ""
        test, _, msg = line[len("assert "):].partition(", ")
        return f"if not ({test}):\n    raise AssertionError({msg})"

    checked = 0
    for what, (a1, a2) in asserted.items():
        body = lambda first: "\n".join(x for x in ('ctx.set("a", 1)', first, set_b) if x)  # noqa: E731
        d_assert = obj_verdict(body(a1), body(a2))
        d_if = obj_verdict(body(as_if(a1)), body(as_if(a2)))
        assert d_assert.verdict is d_if.verdict, (what, d_assert.reason, d_if.reason)
        expected = Verdict.COMPATIBLE if what in ("unchanged", "message changed", "removed") else Verdict.BREAKING
        assert d_assert.verdict is expected, (what, d_assert.reason)
        if expected is Verdict.BREAKING:
            assert d_assert.divergence.index == d_if.divergence.index == 2
            assert "where the new code ends (`assert " in d_assert.reason, d_assert.reason
        checked += 1
    assert checked == 6


def test_a_wait_on_an_awakeable_before_a_journaled_command_breaks_where_replay_stalls():
    """`await p` of `_, p = ctx.awakeable()` writes no command, but replay cannot pass it while
    commands remain unless the journal holds its completion (the server's 570 "'await' could
    not be replayed"). Counts the cases."""
    made = 'id_, p = ctx.awakeable()\nawait ctx.run("publish", lambda: id_)\n'
    sleep = "await ctx.sleep(timedelta(seconds=5))"
    cases = {  # v1, v2, verdict, certain (None: compatible)
        # an invocation past the `set` stopped only at `await p`: it went on once p completed
        "moved ahead of a set": (made + 'ctx.set("x", 1)\nawait p\nctx.set("y", 1)', made + 'await p\nctx.set("x", 1)\nctx.set("y", 1)', None),
        # one stopped at the sleep may not have p's completion yet
        "moved ahead of a sleep": (made + f"{sleep}\nawait p\nctx.set('y', 1)", made + f"await p\n{sleep}\nctx.set('y', 1)", False),
        "unchanged": (made + f"await p\n{sleep}", made + f"await p\n{sleep}", None),
        "moved later": (made + f"await p\n{sleep}", made + f"{sleep}\nawait p", None),
        # a 2nd awakeable the old code never made: no invocation can have it
        "a new awakeable awaited": (made + sleep, made + f"_, q = ctx.awakeable()\nawait q\n{sleep}", True),
        "appended": (made + sleep, made + f"{sleep}\n_, q = ctx.awakeable()\nawait q", None),
        # `p` rebound by a loop holds no awakeable's promise there
        "the name rebound by a loop": (made + f"{sleep}\nfor p in work():\n    await p", made + f"for p in work():\n    await p\n{sleep}", None),
        "in a loop, unchanged": ('for i in range(3):\n    id_, p = ctx.awakeable()\n    await ctx.run("publish", lambda: id_)\n    await p',
                                 'for i in range(3):\n    id_, p = ctx.awakeable()\n    await ctx.run("publish", lambda: id_)\n    await p', None),
    }
    for what, (v1, v2, certain) in cases.items():
        d = obj_verdict(v1, v2)
        if certain is None:
            assert d.verdict is Verdict.COMPATIBLE, (what, d.reason)
            continue
        assert d.verdict is Verdict.BREAKING and d.divergence.index == 2, (what, d.reason)
        assert d.divergence.new is not None and d.divergence.new.text.startswith("await "), what
        assert "570 ('await' could not be replayed)" in d.reason, d.reason
        assert ("which no invocation stopped at" in d.reason) is certain, (what, d.reason)
        assert "awakeable" in d.reason and ("2nd" if "new" in what else "1st") in d.reason, d.reason
    assert len(cases) == 8
