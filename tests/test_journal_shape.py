"""Journal shapes: every context operation with its compared fields, branches and loops kept
as structure, helpers followed across modules, unknowns with their place."""

from __future__ import annotations

import textwrap

from rea_lint.journal.ops import COMPARED_FIELDS, OpKind, field_mismatch
from rea_lint.journal.paths import enumerate_paths
from rea_lint.journal.replay import Recorded, kinds_of_command, locate
from rea_lint.journal.shape import Branch, Loop, Seq, Step, Unknown, shapes_of_source, shapes_of_sources

EVERY_OPERATION = '''
import restate
from datetime import timedelta

svc = restate.Service("Greeter")
wf = restate.Workflow("Signup")


@svc.handler(name="greet")
async def greet_impl(ctx: restate.Context, name: str) -> str:
    return name


@wf.main()
async def run(ctx: restate.WorkflowContext, req: dict) -> str:
    await ctx.run("r1", lambda: 1)                                      # 1 run
    await ctx.run_typed("r2", lambda: 1, restate.RunOptions())          # 2 run
    await ctx.time()                                                    # 3 run "timestamp"
    await ctx.sleep(timedelta(seconds=3), name="nap")                   # 4 sleep
    await ctx.service_call(greet_impl, "x")                             # 5 call
    ctx.service_send(greet_impl, "x", send_delay=timedelta(seconds=1))  # 6 send
    await ctx.generic_call("Other", "h", b"1", key="k1")                # 7 call
    v = await ctx.get("a")                                              # 8 get state
    ctx.set("a", 1)                                                     # 9 set state
    ctx.clear("a")                                                      # 10 clear
    ctx.clear_all()                                                     # 11 clear all
    keys = await ctx.state_keys()                                       # 12 state keys
    await ctx.promise("p").value()                                      # 13 get promise
    await ctx.promise("p").peek()                                       # 14 peek promise
    await ctx.promise("q").resolve("ok")                                # 15 complete promise
    aid, fut = ctx.awakeable()                                          # (no command)
    ctx.resolve_awakeable("aw-1", 1)                                    # 16 complete awakeable
    ctx.reject_awakeable("aw-2", "no")                                  # 17 complete awakeable
    ctx.resolve_signal("inv-1", "sig", 2)                               # 18 send signal
    ctx.cancel_invocation("inv-2")                                      # 19 cancel (send signal)
    await ctx.attach_invocation("inv-3")                                # 20 attach
    s = await ctx.scope("tenant").service_call(greet_impl, "y")         # 21 call (scoped)
    ctx.uuid(); ctx.random(); ctx.request(); ctx.key()                  # nothing
    return "done"
'''


def test_every_operation_in_journal_order_with_compared_fields():
    shapes = shapes_of_source(EVERY_OPERATION, "wf.py")
    assert set(shapes) == {("Greeter", "greet"), ("Signup", "run")}
    h = shapes[("Signup", "run")]
    assert (h.service_kind, h.kind) == ("workflow", "workflow")
    (path,) = enumerate_paths(h.shape)
    journal = path.journal
    kinds = [op.kind for op in journal]
    assert kinds == [
        OpKind.RUN, OpKind.RUN, OpKind.RUN, OpKind.SLEEP, OpKind.CALL, OpKind.SEND, OpKind.CALL,
        OpKind.GET_STATE, OpKind.SET_STATE, OpKind.CLEAR_STATE, OpKind.CLEAR_ALL_STATE, OpKind.STATE_KEYS,
        OpKind.GET_PROMISE, OpKind.PEEK_PROMISE, OpKind.COMPLETE_PROMISE, OpKind.COMPLETE_AWAKEABLE,
        OpKind.COMPLETE_AWAKEABLE, OpKind.SEND_SIGNAL, OpKind.CANCEL_INVOCATION, OpKind.ATTACH_INVOCATION, OpKind.CALL,
    ]
    # the awakeable is in the shape but not in the journal
    assert [e.kind for e in path.events if getattr(e, "kind", None) is OpKind.AWAKEABLE]
    lit = lambda op, f: op.get(f).literal  # noqa: E731
    assert [lit(journal[i], "name") for i in (0, 1, 2, 3)] == ["r1", "r2", "timestamp", "nap"]
    call = journal[4]
    assert (lit(call, "service"), lit(call, "handler"), lit(call, "key")) == ("Greeter", "greet", "")
    assert lit(call, "parameter") == "x" and lit(call, "idempotency_key") is None
    assert (lit(journal[6], "service"), lit(journal[6], "handler"), lit(journal[6], "key")) == ("Other", "h", "k1")
    assert lit(journal[7], "key") == "a" and lit(journal[8], "value") == 1
    assert lit(journal[12], "key") == "p" and lit(journal[14], "key") == "q"
    assert lit(journal[15], "awakeable_id") == "aw-1"
    assert lit(journal[17], "signal") == "sig" and lit(journal[18], "invocation_id") == "inv-2"
    assert lit(journal[20], "scope") == "tenant"
    # every field an op carries is one the protocol compares (and each compared field is there)
    for op in journal:
        assert set(COMPARED_FIELDS[op.kind]) <= set(op.fields) or op.kind in (OpKind.COMPLETE_PROMISE,), op
    assert [op.command for op in journal[:6]] == ["run", "run", "run", "sleep", "call", "one way call/send"]
    assert journal[0].line == 16 and journal[4].line == 20


def test_sleep_duration_and_send_delay_are_not_compared():
    a = shapes_of_source(EVERY_OPERATION, "a.py")[("Signup", "run")]
    b = shapes_of_source(EVERY_OPERATION.replace("seconds=3", "hours=1").replace("seconds=1", "days=2"), "b.py")[("Signup", "run")]
    for x, y in zip(enumerate_paths(a.shape)[0].journal, enumerate_paths(b.shape)[0].journal):
        assert field_mismatch(x, y) is None


def handler(body: str, extra: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    return f"import restate\nimport lib\nsvc = restate.Service('S')\n{extra}\n@svc.handler()\nasync def h(ctx: restate.Context, req: dict):\n{body}\n"


def test_branches_and_loops_are_structure_not_a_flat_list():
    src = handler('''
        if req["a"]:
            await ctx.run("yes", lambda: 1)
        else:
            await ctx.run("no", lambda: 1)
        for item in req["items"]:
            await ctx.run("each", lambda: 1)
        await ctx.run("end", lambda: 1)
    ''')
    shape = shapes_of_source(src, "s.py")[("S", "h")].shape
    assert isinstance(shape, Seq)
    branch, loop, last = shape.items
    assert isinstance(branch, Branch) and branch.text == "req['a']" and len(branch.arms) == 2
    assert isinstance(loop, Loop) and isinstance(loop.body, Step) and loop.body.op.get("name").literal == "each"
    assert isinstance(last, Step)
    names = sorted(tuple(op.get("name").literal for op in p.journal) for p in enumerate_paths(shape))
    # 2 arms x 0..2 iterations (the loop is unrolled twice), plus the paths cut at the bound
    assert ("yes", "end") in names and ("no", "each", "each", "end") in names
    assert len([n for n in names if n[-1] == "end"]) == 6


def test_return_in_a_branch_ends_the_path_and_conditional_expressions_branch():
    src = handler('''
        if req["stop"]:
            return 1
        x = await ctx.run("a", lambda: 1) if req["f"] else await ctx.run("b", lambda: 1)
        ok = req["g"] and await ctx.get("k")
    ''')
    shape = shapes_of_source(src.replace("restate.Context", "restate.ObjectContext").replace("Service('S')", "VirtualObject('S')"), "s.py")[("S", "h")].shape
    journals = sorted(tuple(op.label() for op in p.journal) for p in enumerate_paths(shape))
    assert () in journals  # returned early
    assert ("run 'a'", "get_state 'k'") in journals and ("run 'b'",) in journals


def test_unknowns_name_the_place():
    src = handler('''
        await lib.charge(ctx, 3)
        handler_table[req["kind"]](ctx)
        keep = ctx
        await ctx.frobnicate()
    ''', extra="handler_table = {}")
    shape = shapes_of_source(src, "s.py")[("S", "h")].shape
    unknowns = [n for n in shape.items if isinstance(n, Unknown)]
    reasons = [u.reason for u in unknowns]
    assert len(unknowns) == 4
    assert "`lib.charge()`" in reasons[0] and unknowns[0].line == 7
    assert "cannot see into" in reasons[1]
    assert "used as a value" in reasons[2]
    assert "not a context method" in reasons[3]


def test_helpers_are_followed_across_modules():
    sources = {
        "shop/__init__.py": "",
        "shop/steps.py": "async def pay(c, amount):\n    await c.run('pay', lambda: amount)\n    await c.sleep(amount)\n",
        "shop/app.py": "import restate\nfrom shop.steps import pay\nsvc = restate.Service('Shop')\n\n@svc.handler()\nasync def buy(ctx: restate.Context, n: int):\n    await pay(ctx, n)\n",
    }
    shapes, problems = shapes_of_sources(sources)
    assert problems == []
    (path,) = enumerate_paths(shapes[("Shop", "buy")].shape)
    ops = path.journal
    assert [op.label() for op in ops] == ["run 'pay'", "sleep"]
    assert ops[0].path == "shop/steps.py" and ops[0].line == 2
    assert ops[0].via and "pay(ctx, n)" in ops[0].via[0] and "shop/app.py:7" in ops[0].via[0]


def test_relative_imports_outside_any_package_resolve_from_the_file():
    """`from .steps import pay` in a directory that is no package (`insurance-workflows/`, no
    `__init__.py`: restatedev/ai-examples) names the sibling file, as Python finds it when it
    runs the directory as a package; `..` goes one directory up."""
    app = ("import restate\nfrom .steps import pay\nfrom . import audit\nfrom ..shared.notify import tell\n"
           "svc = restate.Service('Shop')\n\n@svc.handler()\nasync def buy(ctx: restate.Context, n: int):\n"
           "    await pay(ctx, n)\n    await audit.log(ctx)\n    await tell(ctx)\n")
    sources = {
        "apps/shop-app/app.py": app,
        "apps/shop-app/steps.py": "async def pay(c, amount):\n    await c.run('pay', lambda: amount)\n",
        "apps/shop-app/audit.py": "async def log(c):\n    await c.run('audit', lambda: 1)\n",
        "apps/shared/notify.py": "async def tell(c):\n    await c.run('tell', lambda: 1)\n",
        "other/steps.py": "async def pay(c, amount):\n    await c.run('elsewhere', lambda: amount)\n",
    }
    shapes, problems = shapes_of_sources(sources)
    assert problems == []
    (path,) = enumerate_paths(shapes[("Shop", "buy")].shape)
    assert [op.label() for op in path.journal] == ["run 'pay'", "run 'audit'", "run 'tell'"]
    assert [op.path for op in path.journal] == ["apps/shop-app/steps.py", "apps/shop-app/audit.py", "apps/shared/notify.py"]


def test_run_action_bodies_are_invisible():
    src = handler('''
        async def action():
            await lib.anything()
            return 1
        await ctx.run("a", action)
        await ctx.run("b", lambda: lib.other(req))
    ''')
    (path,) = enumerate_paths(shapes_of_source(src, "s.py")[("S", "h")].shape)
    assert [op.label() for op in path.journal] == ["run 'a'", "run 'b'"]


def test_unparsable_file_is_reported_not_dropped():
    """A file that may define a handler (it names a service factory) and does not parse is a
    problem line; so is one a handler inlines a helper from. A file that can define none and
    that no handler reaches is never parsed (its syntax error hides nothing from the diff)."""
    shapes, problems = shapes_of_sources({
        "ok.py": handler('await ctx.run("a", lambda: 1)'),
        "bad.py": "import restate\nsvc = restate.Service('Bad')\ndef (:\n",
        "reached.py": "def (:\n",
        "uses.py": SERVICE.format(imports="import reached", service="Uses", body="await reached.go(ctx)"),
        "unrelated.py": "def (:\n",
    })
    assert ("S", "h") in shapes and ("Uses", "go") in shapes
    assert [p.split(": ")[0] for p in problems] == ["bad.py:3", "reached.py:1"]
    assert all("cannot parse" in p for p in problems)
    (path,) = enumerate_paths(shapes[("Uses", "go")].shape)
    assert isinstance(path.journal[0], Unknown) and "reached.go" in path.journal[0].reason


def test_files_that_cannot_define_a_handler_are_not_parsed_unless_a_handler_reaches_them():
    from rea_lint.config import DEFAULT
    from rea_lint.journal.shape import _Project, _shape_all

    sources = {
        "models.py": "class Order:\n    total: int = 0\n",
        "steps.py": "async def pay(c):\n    await c.run('pay', lambda: 1)\n",
        "app.py": SERVICE.format(imports="import steps", service="App", body="await steps.pay(ctx)"),
        "caf\u00e9.py": "# caf\u00e9\nx = 1\n",  # non-ASCII: parsed, as a name may be spelled in other characters
    }
    project = _Project(sources, DEFAULT)
    shapes, problems = _shape_all(project)
    assert problems == {} and list(shapes) == [("App", "go")]
    assert project.parses == 3  # app.py, steps.py (reached from it), café.py; never models.py


# --- locate: from a journal index to the source ---------------------------------------------


def test_locate_maps_indexes_to_lines_and_refuses_to_guess():
    src = handler('''
        await ctx.run("a", lambda: 1)
        if req["x"]:
            await ctx.run("b", lambda: 1)
        else:
            await ctx.sleep(3)
        await ctx.run("c", lambda: 1)
    ''')
    h = shapes_of_source(src, "s.py")[("S", "h")]
    loc = locate(h, [], 1)
    assert loc.op is not None and loc.op.line == 7 and loc.op.get("name").literal == "a"
    # index 2 depends on the branch: two candidates, no guess
    loc = locate(h, [], 2)
    assert loc.op is None and len(loc.ops) == 2 and "different operations" in loc.reason()
    # with the recorded journal the branch is known
    loc = locate(h, [Recorded("run", {"name": "a"}), Recorded("sleep")], 3)
    assert loc.op is not None and loc.op.line == 12
    loc = locate(h, [Recorded("run", {"name": "a"}), Recorded("run", {"name": "b"})], 3)
    assert loc.op is not None and loc.op.line == 12 and loc.paths == 1
    # the entry recorded AT the index is what the old code wrote: it is not required to match
    loc = locate(h, [], 0)
    assert loc.op is None and "input" in loc.reason()
    loc = locate(h, [Recorded("call")], 2)
    assert loc.op is None and loc.paths == 0


def test_locate_follows_the_recorded_names_a_computed_name_can_take():
    """A recorded `run "fetch-3"` rules out the way whose run is `f"store-{i}"`, and not the
    one whose run is `f"fetch-{i}"`: the text a computed name certainly starts with counts."""
    src = handler('''
        if req["x"]:
            await ctx.run(f"fetch-{req['i']}", lambda: 1)
        else:
            await ctx.run(f"store-{req['i']}", lambda: 1)
        await ctx.run("c", lambda: 1)
    ''')
    h = shapes_of_source(src, "s.py")[("S", "h")]
    assert locate(h, [], 2).op is not None and locate(h, [], 1).op is None  # two ways at 1, one op at 2
    loc = locate(h, [Recorded("run", {"name": "fetch-3"})], 2)
    assert loc.op is not None and loc.op.line == 11 and loc.paths == 1
    loc = locate(h, [Recorded("run", {"name": "other"})], 2)
    assert loc.op is None and loc.paths == 0


def test_locate_stops_at_unknowns():
    h = shapes_of_source(handler('await lib.go(ctx)\nawait ctx.run("a", lambda: 1)'), "s.py")[("S", "h")]
    loc = locate(h, [], 2)
    assert loc.op is None and "lib.go" in loc.unknown


def test_command_names_as_the_server_prints_them():
    assert kinds_of_command("run") == {OpKind.RUN}
    assert kinds_of_command("one way call/send") == {OpKind.SEND}
    assert kinds_of_command("GetLazyState") == {OpKind.GET_STATE}
    assert kinds_of_command("get state") == {OpKind.GET_STATE}
    assert kinds_of_command("OneWayCallCommand") == {OpKind.SEND}
    assert kinds_of_command("send signal") == {OpKind.SEND_SIGNAL, OpKind.CANCEL_INVOCATION}


def test_locate_with_many_branches_and_an_early_return():
    body = "\n".join(f'if req["c{i}"]:\n    await ctx.run("r{i}", lambda: 1)' for i in range(10))
    h = shapes_of_source(handler('if req["stop"]:\n    return\nawait ctx.run("first", lambda: 1)\n' + body + '\nawait ctx.run("last", lambda: 1)'), "s.py")[("S", "h")]
    recorded = [Recorded("run", {"name": n}) for n in ("first", "r2", "r5", "r9")]
    loc = locate(h, recorded, 5)
    assert loc.op is not None and loc.op.get("name").literal == "last" and loc.ends
    loc = locate(h, recorded[:2], 3)  # after r2: any of r3..r9 or last
    assert loc.op is None and len(loc.ops) == 8


def test_no_cyclic_collection_runs_while_a_side_is_shaped_and_the_collector_comes_back(monkeypatch):
    """Helper modules stay alive until the last handler is shaped: a collection meanwhile would
    walk them all again (half of `rea diff`'s work on 1,000 modules, when every tree was
    kept), so none runs."""
    import gc

    from rea_lint.journal import shape as shape_module

    collector_on: list[bool] = []
    build = shape_module.build_model

    def watched(*args, **kwargs):
        collector_on.append(gc.isenabled())
        return build(*args, **kwargs)

    monkeypatch.setattr(shape_module, "build_model", watched)
    sources = {f"m{i}.py": EVERY_OPERATION.replace("Greeter", f"Greeter{i}").replace("Signup", f"Signup{i}") for i in range(5)}
    assert gc.isenabled()
    shapes, problems = shapes_of_sources(sources)
    assert gc.isenabled()
    assert problems == [] and len(shapes) == 10
    assert collector_on == [False] * 5


SERVICE = """import restate
{imports}
svc = restate.Service("{service}")


@svc.handler()
async def go(ctx: restate.Context) -> None:
    {body}
"""


def test_files_sharing_a_module_name_are_all_shaped_and_names_resolve_to_the_nearest():
    """Two services side by side, each with its own `app.py` and `helpers.py` and no package:
    both are shaped, and each handler inlines its own directory's helper."""
    helper = "async def charge(c):\n    await c.run({name!r}, lambda: 1)\n"
    sources = {
        f"{d}/{f}": text
        for d in ("billing", "shipping")
        for f, text in (
            ("app.py", SERVICE.format(imports="import helpers", service=d.title(), body="await helpers.charge(ctx)")),
            ("helpers.py", helper.format(name=f"{d}-charge")),
        )
    }
    shapes, problems = shapes_of_sources(sources)
    assert problems == []
    assert sorted(shapes) == [("Billing", "go"), ("Shipping", "go")]
    for service, d in (("Billing", "billing"), ("Shipping", "shipping")):
        (path,) = enumerate_paths(shapes[(service, "go")].shape)
        assert [(op.label(), op.path) for op in path.journal] == [(f"run '{d}-charge'", f"{d}/helpers.py")]


def test_an_import_resolves_from_the_importing_files_roots_before_the_top():
    """Two apps side by side, one of them a package (`mixing/__init__.py`), each with its own
    `utils/utils.py`; `from utils.utils import stamp` in either means its own app's (run from
    its directory), as `rea check` links it. By module name from the top, `utils.utils` was only
    the other app's file (restatedev/ai-examples f0f467a), so the package's import read wrong."""
    util = "import restate\nasync def stamp(c):\n    await c.run({name!r}, lambda: 1)\n"
    sources = {
        "mixing/__init__.py": "", "mixing/utils/__init__.py": "", "agentic/utils/__init__.py": "",
        "mixing/utils/utils.py": util.format(name="mixing-stamp"),
        "agentic/utils/utils.py": util.format(name="agentic-stamp"),
        "mixing/app.py": SERVICE.format(imports="from utils.utils import stamp", service="Mixing", body="await stamp(ctx)"),
        "agentic/app.py": SERVICE.format(imports="from utils.utils import stamp", service="Agentic", body="await stamp(ctx)"),
        "mixing/abs.py": SERVICE.format(imports="from mixing.utils.utils import stamp", service="Absolute", body="await stamp(ctx)"),
    }
    shapes, problems = shapes_of_sources(sources)
    assert problems == []
    for service, expected in (("Mixing", "mixing"), ("Agentic", "agentic"), ("Absolute", "mixing")):
        (path,) = enumerate_paths(shapes[(service, "go")].shape)
        assert [(op.label(), op.path) for op in path.journal] == [(f"run '{expected}-stamp'", f"{expected}/utils/utils.py")], service


def test_a_tree_is_kept_only_while_its_handlers_are_shaped_or_once_another_file_needs_it():
    """`rea diff` on 20,000 modules held every tree (8.5 GB) until the last handler was
    shaped. Now a file is released after its turn; a helper module another file inlines from
    is kept from then on, parsed once more at most (here `common.py`, whose turn comes before
    the handlers that need it), or never again (`zz_late.py`, needed before its turn)."""
    from rea_lint.config import DEFAULT
    from rea_lint.journal.shape import _Project

    sources = {
        "common.py": SERVICE.format(imports="", service="Common", body="await ctx.sleep(3)")
        + "\n\nasync def pay(c):\n    await c.run('pay', lambda: 1)\n",
        "zz_late.py": "async def ship(c):\n    await c.sleep(1)\n",
        "broken.py": "import restate\nsvc = restate.Service('Broken')\ndef (:\n",
    }
    for i in range(20):
        uses = ["await common.pay(ctx)"] if i % 2 else ["await zz_late.ship(ctx)"]
        sources[f"svc_{i:02}.py"] = SERVICE.format(imports="import common\nimport zz_late\nimport broken", service=f"S{i}", body="\n    ".join(uses))
    project = _Project(sources, DEFAULT)
    shaped = {path: project.shape_file(path) for path in sorted(sources)}
    assert sum(len(v) for v in shaped.values()) == 21
    assert project.parses == len(sources) + 1  # common.py: released after its turn, parsed again when first needed
    assert project.held() == ["common.py", "zz_late.py"]
    assert list(project.problems) == ["broken.py"]
    for i in range(20):
        (path,) = enumerate_paths(shaped[f"svc_{i:02}.py"][0].shape)
        assert [op.label() for op in path.journal] == (["run 'pay'"] if i % 2 else ["sleep"])
    # the same shapes, and the parse problem once, through the public function
    shapes, problems = shapes_of_sources(sources)
    assert len(shapes) == 21 and len(problems) == 1 and problems[0].startswith("broken.py:3: cannot parse")


def test_shapes_from_disk_read_the_files_rea_check_reads(tmp_path):
    """`rea explain` with no path shapes the current directory: a git-ignored build or
    benchmark directory (here 40,000 generated modules made it run for minutes) and virtual
    environments are left out as `rea check` leaves them out; a file named is read anyway,
    and a coding cookie is honoured."""
    import subprocess

    from rea_lint.journal.shape import load_shapes

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("out/\n")
    for rel, service in (("app.py", "App"), ("out/generated.py", "Generated"), ("venv/lib/site.py", "Venv")):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(SERVICE.format(imports="", service=service, body="await ctx.sleep(1)"))
    (tmp_path / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\n" + SERVICE.format(imports="", service="Caf\xe9", body="await ctx.sleep(1)").encode("latin-1"))
    shapes, problems = load_shapes([tmp_path])
    assert problems == []
    assert sorted(service for service, _ in shapes) == ["App", "Caf\xe9"]
    shapes, problems = load_shapes([tmp_path / "out" / "generated.py"])
    assert problems == [] and list(shapes) == [("Generated", "go")]
    shapes, problems = load_shapes([tmp_path / "missing"])
    assert shapes == {} and problems == [f"{tmp_path / 'missing'}: no such file or directory"]


def test_the_new_side_reuses_exactly_the_files_that_would_shape_the_same():
    """`rea diff` shapes a file once when it and every file its handlers read are the same on
    both sides. A handler file that did not change is shaped again when a helper it inlines
    changed, or when a new file now answers a name it looks up (a nearer `helpers.py`)."""
    from rea_lint.config import DEFAULT
    from rea_lint.journal.shape import _Project, _shape_all

    app = SERVICE.format(imports="import helpers", service="App", body="await helpers.pay(ctx)")
    old = {
        "svc/app.py": app,
        "lib/helpers.py": "async def pay(c):\n    await c.run('pay', lambda: 1)\n",
        "steady.py": SERVICE.format(imports="", service="Steady", body="await ctx.sleep(1)"),
        "lib/other.py": SERVICE.format(imports="import helpers", service="Other", body="await helpers.pay(ctx)"),
    }
    cases = {
        "a helper changed": ({**old, "lib/helpers.py": old["lib/helpers.py"].replace("'pay'", "'pay2'")},
                             {"steady.py"}, {"App": "run 'pay2'", "Other": "run 'pay2'"}),
        "a nearer helpers.py": ({**old, "svc/helpers.py": "async def pay(c):\n    await c.sleep(2)\n"},
                                {"lib/other.py", "steady.py"}, {"App": "sleep", "Other": "run 'pay'"}),
        # (lib/helpers.py defines no handler: it is never shaped, only read where inlined)
        "nothing changed": (old, set(old) - {"lib/helpers.py"}, {"App": "run 'pay'", "Other": "run 'pay'"}),
    }
    for name, (new, reused, ops) in cases.items():
        before = _Project(old, DEFAULT)
        _shape_all(before)
        after = _Project(new, DEFAULT, previous=before)
        shapes, problems = _shape_all(after)
        assert problems == {}, name
        assert {p for p, t in after.turns.items() if t is before.turns.get(p)} == reused, name
        assert after.reused == len(reused), name
        for service, label in ops.items():
            (path,) = enumerate_paths(shapes[(service, "go")].shape)
            assert [op.label() for op in path.journal] == [label], (name, service)
        # the same answer as shaping the new side alone, field for field
        alone, _ = shapes_of_sources(new)
        assert repr(sorted(shapes.items())) == repr(sorted(alone.items())), name


def test_reusing_the_old_side_changes_no_shape_across_the_replay_corpus():
    """Sweep: each pair of the replay corpus (the old and the new code of one change, with the
    rest of the corpus unchanged around it), shaped with and without reuse, gives the same
    shapes and problems, field for field."""
    from pathlib import Path

    from rea_lint.journal.shape import shapes_of_revisions

    corpus = Path(__file__).parent / "replay" / "corpus"
    v1 = {p.name: p.read_text(encoding="utf-8") for p in sorted((corpus / "v1").glob("p*.py"))}
    v2 = {p.name: p.read_text(encoding="utf-8") for p in sorted((corpus / "v2").glob("p*.py"))}
    checked = 0
    for name in sorted(set(v1) & set(v2)):
        old, new = dict(v1), {**v1, name: v2[name]}
        (o, op), (n, np_) = shapes_of_revisions(old, new)
        assert (repr(sorted(o.items())), op) == (repr(sorted(shapes_of_sources(old)[0].items())), shapes_of_sources(old)[1])
        alone, problems = shapes_of_sources(new)
        assert repr(sorted(n.items())) == repr(sorted(alone.items())) and np_ == problems, name
        checked += 1
    assert checked >= 40



def test_lambdas_read_as_written_on_every_python():
    """`ast.unparse` wrote `lambda : x` before 3.11: rea's messages say `lambda: x` on every Python
    (and a string that only spells it, with no lambda around, is left as it is)."""
    import ast

    from rea_lint.model import source_text

    def text(source: str) -> str:
        return source_text(ast.parse(source, mode="eval").body, 200)

    assert text("ctx.run('check stock', lambda: sku)") == "ctx.run('check stock', lambda: sku)"
    assert text("lambda: 1") == "lambda: 1" and text("lambda x: x") == "lambda x: x"
    assert text("log('lambda : x')") == "log('lambda : x')"


FACTORY_MADE = '''
import restate

svc = restate.Service("Module")


def make_orders(prefix: str) -> restate.VirtualObject:
    svc = restate.VirtualObject(name="Orders")

    @svc.handler()
    async def place(ctx: restate.ObjectContext, sku: str) -> str:
        await ctx.run_typed("reserve", lambda: prefix + sku)
        return "ok"

    return svc


def make_agent(self_name: str) -> restate.Service:
    agent = restate.Service(self_name)

    class Handlers:
        @staticmethod
        @agent.handler(name="ask")
        async def ask_impl(ctx: restate.Context, q: str) -> str:
            await ctx.sleep(timedelta(seconds=1))
            return q

    return agent


def make_other(name: str) -> restate.Service:
    agent = restate.Service(name)

    @agent.handler(name="ask")
    async def ask_impl(ctx: restate.Context, q: str) -> str:
        return q

    return agent


class Runtime:
    def __init__(self, name: str) -> None:
        self.calls = restate.Workflow("Calls")
        self.named = restate.Service(name)

        @self.calls.main()
        async def conduct(ctx: restate.WorkflowContext, q: str) -> str:
            return await ctx.promise("answered").value()

        @self.named.handler()
        async def record(ctx: restate.Context, q: str) -> str:
            return q


class InClass:
    svc = restate.VirtualObject("InClass")

    @staticmethod
    @svc.handler()
    async def count(ctx: restate.ObjectContext) -> int:
        return await ctx.get("n", type_hint=int) or 0
'''


def test_handlers_of_a_service_object_made_in_a_function_are_shaped():
    """A factory (dependency injection) or a class built in a method makes the service object
    in a function: its handlers are shaped, under the name the function gives the service, or
    after the function and the variable where that name is computed at run time (so that two
    factories' handlers do not collide). The module's own `svc` of the same variable name is
    not taken for the factory's. A class's `__init__` that keeps its service objects in
    attributes (`self.calls = restate.Workflow("Calls")`) makes them the same way, and so does
    a class body (its `svc`, not the module's, is the one its decorators name)."""
    shapes, problems = shapes_of_sources({"app.py": FACTORY_MADE})
    assert problems == []
    assert sorted(shapes) == [("Calls", "conduct"), ("InClass", "count"), ("Orders", "place"),
                              ("Runtime.__init__.self.named", "record"), ("make_agent.agent", "ask"),
                              ("make_other.agent", "ask")]
    assert (shapes[("InClass", "count")].service_kind, shapes[("InClass", "count")].kind) == ("object", "exclusive")
    conduct = shapes[("Calls", "conduct")]
    assert (conduct.service_kind, conduct.kind) == ("workflow", "workflow")
    (path,) = enumerate_paths(conduct.shape)
    assert [op.label() for op in path.journal] == ["get_promise 'answered'"]
    place = shapes[("Orders", "place")]
    assert (place.service_kind, place.kind, place.function) == ("object", "exclusive", "make_orders.<locals>.place")
    (path,) = enumerate_paths(place.shape)
    assert [(op.label(), op.line) for op in path.journal] == [("run 'reserve'", 12)]
    (path,) = enumerate_paths(shapes[("make_agent.agent", "ask")].shape)
    assert [op.label() for op in path.journal] == ["sleep"]


def test_shaping_leaves_no_reference_cycle():
    """A side is shaped with the collector off (`tree_mode`), so everything it builds must be
    freed by reference counting: a cycle would keep its trees until a collection (a
    fingerprinter holding its shape builder's bound method did: `rea diff` took 7-17% more
    CPU freeing them at the end). Every kind of handler code: every operation, helpers across
    modules, conditions on call results and imported names, factory-made services."""
    from benchmarks.corpus import generate

    from tests.conftest import cyclic_garbage
    from tests.replay.driver import CORPUS

    sources = {f"ops{i}.py": EVERY_OPERATION.replace("Greeter", f"G{i}").replace("Signup", f"S{i}") for i in range(3)}
    sources["factory.py"] = FACTORY_MADE
    sources.update({f"pay/{name}": text for name, text in (
        ("accounts.py", "import restate\naccount = restate.VirtualObject('account')\nUP = 'up'\n\n"
                        "@account.handler()\nasync def withdraw(ctx: restate.ObjectContext, n: int) -> bool:\n    return n < 9\n"),
        ("app.py", "import restate\nfrom accounts import withdraw, UP\np = restate.VirtualObject('p')\n\n"
                   "@p.handler()\nasync def pay(ctx: restate.ObjectContext, n: int) -> str:\n"
                   "    if await ctx.get('s', type_hint=str) == UP:\n        return 'x'\n"
                   "    if await ctx.object_call(withdraw, key='a', arg=n):\n        ctx.set('s', UP)\n    return 'ok'\n"),
    )})
    for path in sorted(CORPUS.glob("v1/p*.py")):
        sources[f"replay/{path.name}"] = path.read_text()
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        for f in generate(Path(d), count=40, chains=True).files:
            sources[f"gen/{f.relative_to(d)}"] = f.read_text()

    def shape() -> tuple[int, list[str]]:
        shapes, problems = shapes_of_sources(sources)
        return len(shapes), problems

    (count, problems), garbage = cyclic_garbage(shape)
    assert count > 100 and problems == [], (problems, count)
    assert garbage == []


def test_a_kept_lambda_journals_nothing_where_it_is_kept_and_an_accessor_is_the_context():
    """`compensations.append(lambda: ctx.service_call(...))` writes no command there (it runs
    later, where rea does not follow): a `stored` step keyed by what it journals; a run through
    `current_context()` is the handler's own."""
    src = textwrap.dedent('''\
        import restate
        from restate.extensions import current_context

        svc = restate.Service("s")


        @svc.handler()
        async def h(ctx: restate.Context, x: str) -> str:
            undo = [lambda: ctx.run_typed("undo", lambda: x)]
            await current_context().run_typed("step", lambda: x)
            return "ok"
        ''')
    shape = shapes_of_source(src, "app.py")[("s", "h")]
    kinds = [(op.kind, op.label()) for op in shape.ops()]
    assert kinds == [(OpKind.STORED, "stored"), (OpKind.RUN, "run 'step'")], kinds
    (path,) = enumerate_paths(shape.shape)
    assert [op.label() for op in path.journal] == ["run 'step'"]


def test_handlers_are_keyed_by_the_name_restate_registers():
    """The SDK's first parameter of `handler()` and `main()` is `name`: `handler("get")` is
    Restate's `Tasks/get`, however the function is called (biswaszin's `get_task`)."""
    source = textwrap.dedent('''
        import restate

        tasks = restate.Service("Tasks")
        cart = restate.VirtualObject("Cart")
        flow = restate.Workflow("Flow")


        @tasks.handler("get")
        async def get_task(ctx: restate.Context, req: dict) -> dict:
            return req


        @cart.handler("peek", kind="shared")
        async def peek_cart(ctx: restate.ObjectSharedContext) -> list:
            return []


        @flow.main("start")
        async def run_flow(ctx: restate.WorkflowContext, req: dict) -> dict:
            return req


        @flow.handler(name="signal")
        async def on_signal(ctx: restate.WorkflowSharedContext, req: dict) -> dict:
            return req


        @tasks.handler()
        async def plain(ctx: restate.Context, req: dict) -> dict:
            return req
        ''')
    shapes = shapes_of_source(source, "app.py")
    assert set(shapes) == {("Tasks", "get"), ("Cart", "peek"), ("Flow", "start"), ("Flow", "signal"), ("Tasks", "plain")}
    assert shapes[("Cart", "peek")].kind == "shared" and shapes[("Tasks", "get")].function == "get_task"


def test_a_chain_of_locals_that_each_read_the_last_twice_stays_small():
    """`b = a + a; c = b + b; ...`: each local reads as what was assigned to it, so the chain's
    text doubled with each step (a public repository's handler took 11 s, where 0.5 s had
    been enough). A name is rendered once per use, and a long rendering stands as its digest."""
    import ast

    from rea_lint.journal.fingerprint import Fingerprinter
    from rea_lint.model import build_model

    steps = 14
    chain = "\n".join(f"    v{i + 1} = v{i} + v{i}" for i in range(steps))
    source = (f"import restate\nsvc = restate.Service('S')\n@svc.handler()\nasync def h(ctx: restate.Context, v0: str):\n"
              f"{chain}\n    ctx.set('k', v{steps})\n")
    tree = ast.parse(source)
    model = build_model(tree)
    fn = next(f for f in model.functions if f.qualname == "h")
    value = tree.body[-1].body[-1].value.args[1]  # type: ignore[attr-defined]
    renders = Fingerprinter(model, fn)
    assert len(renders.passed(value, None)) < 4096
    other = ast.parse(source.replace(f"v{steps} = v{steps - 1} + v{steps - 1}", f"v{steps} = v{steps - 1} + v0"))
    other_model = build_model(other)
    other_fn = next(f for f in other_model.functions if f.qualname == "h")
    changed = Fingerprinter(other_model, other_fn).of(other.body[-1].body[-1].value.args[1])  # type: ignore[attr-defined]
    assert renders.of(value) != changed  # still the computation: a changed step changes it
