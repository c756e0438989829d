"""Rule behaviour that fixtures cannot show: config options, Finding.data for autofixes."""

from __future__ import annotations

import ast
import textwrap

from rea_lint.config import DEFAULT, parse_table
from rea_lint.engine import check_tree


def run(source: str, config=DEFAULT, codes=None):  # type: ignore[no-untyped-def]
    return check_tree(ast.parse(textwrap.dedent(source)), config, codes)


OBJ = """\
import restate
from datetime import timedelta
obj = restate.VirtualObject("o")
@obj.handler()
async def h(ctx: restate.ObjectContext, n: float):
"""


def test_rea206_min_sleep_seconds_skips_short_literal_sleeps_only() -> None:
    src = OBJ + (
        "    await ctx.sleep(timedelta(milliseconds=200))\n"
        "    await ctx.sleep(timedelta(seconds=30))\n"
        "    await ctx.sleep(timedelta(seconds=n))\n"
        "    await ctx.sleep(timedelta(0, 1))\n"
    )
    assert [f.line for f in run(src, codes={"REA206"})] == [6, 7, 8, 9]
    config = parse_table({"min-sleep-seconds": 5})
    assert [f.line for f in run(src, config, codes={"REA206"})] == [7, 8]


def test_rea108_extra_calls_are_io_and_their_objects_too() -> None:
    src = """\
    import restate, dbkit
    DB = dbkit.connect("dsn")
    async def h(ctx: restate.Context):
        conn = dbkit.connect("dsn")
        conn.execute("select 1")
        DB.execute("select 2")
        return dbkit.sql.SQL("x")
    """
    assert run(src, codes={"REA108"}) == []
    config = parse_table({"extra-calls": {"REA108": ["dbkit.connect"]}})
    assert [f.line for f in run(src, config, codes={"REA108"})] == [4, 5, 6]


def test_rea101_extra_calls() -> None:
    src = "import restate\nfrom myapp.clock import now\nasync def h(ctx: restate.Context):\n    return now()\n"
    assert run(src, codes={"REA101"}) == []
    config = parse_table({"extra-calls": {"REA101": ["myapp.clock.now"]}})
    assert [f.code for f in run(src, config)] == ["REA101"]


def test_rea111_is_off_by_default_and_on_when_named() -> None:
    src = "import restate\nasync def h(ctx: restate.Context):\n    print('x')\n"
    assert run(src) == []
    assert [f.code for f in run(src, parse_table({"extend-select": ["REA111"]}))] == ["REA111"]


def test_rea203_data_names_the_expected_type() -> None:
    src = "import restate\nobj = restate.VirtualObject('o')\n@obj.handler(kind='shared')\nasync def h(ctx: restate.ObjectContext):\n    pass\n"
    (f,) = run(src, codes={"REA203"})
    assert f.data["expected"] == "ObjectSharedContext" and f.data["found"] == "ObjectContext"
    assert (f.line, f.col) == (4, 17)  # the annotation


def test_rea204_data_says_whether_await_is_possible() -> None:
    src = "import restate\nasync def a(ctx: restate.Context):\n    ctx.get('k')\ndef s(ctx: restate.Context):\n    ctx.get('k')\n"
    found = run(src, codes={"REA204"})
    assert [(f.line, f.col, f.data["is_async"]) for f in found] == [(3, 4, True), (5, 4, False)]


def test_rea104_data_says_whether_the_elements_can_be_sorted() -> None:
    src = (
        "import restate\nasync def h(ctx: restate.Context, ids: list, names: list[str]):\n"
        "    for i in set(ids):\n        await ctx.service_call(f, i)\n"
        "    for n in set(names):\n        await ctx.service_call(f, n)\n"
    )
    found = run(src, codes={"REA104"})
    assert [(f.line, f.col, f.data["orderable"]) for f in found] == [(3, 13, False), (5, 13, True)]


def test_rea112_augmented_assignment() -> None:
    """`elapsed_ms += await ctx.time()` adds seconds to milliseconds. (A linter-only case: the
    mypy plugin's REA112 does not look at `+=`; fixtures/ holds what both enforcers find.)"""
    src = """\
    import restate
    svc = restate.Service("s")
    @svc.handler()
    async def h(ctx: restate.Context, elapsed_ms: float, total_ms: float) -> float:
        elapsed_ms += await ctx.time()
        now = await ctx.time()
        elapsed_ms -= now
        total_ms += int(await ctx.time() * 1000)
        later = await ctx.time()
        later += 5.0
        return elapsed_ms + total_ms + later
    """
    assert [(f.line, f.col) for f in run(src, codes={"REA112"})] == [(5, 24), (6, 16)]


def test_rea204_underscore_names_and_truth_tests_are_not_uses() -> None:
    """A leading `_` exempts nothing, and `if fut:` reads nothing (a future is always truthy).
    (Linter-only cases: the mypy plugin's REA204 still skips `_` names and counts a truth test
    as a use; fixtures/ holds what both enforcers find.)"""
    src = """\
    import restate
    async def h(ctx: restate.Context, x: int) -> int:
        _pending = ctx.get("k")
        c = ctx.get("c")
        if not c and x:
            return 0
        d = ctx.get("d")
        while d:
            break
        e = ctx.get("e")
        if e:
            return await e
        aid = ctx.awakeable()[0]
        return len(aid)
    """
    assert [f.line for f in run(src, codes={"REA204"})] == [3, 4, 7]


def test_rea204_futures_of_one_function_are_judged_name_by_name() -> None:
    """One function binding several futures is walked once for all of them: each name keeps
    its own count of reads and weak uses (`len`, `ctx.set`, a bare statement, a truth test),
    nested code included."""
    src = """\
    import restate
    async def h(ctx: restate.Context) -> int:
        a = ctx.get("a")
        b = ctx.get("b")
        c = ctx.get("c")
        d = ctx.get("d")
        ctx.set("k", a)
        b
        n = len(c)
        if d:
            pass
        async def inner() -> None:
            await c
        await a if b else None
        return n
    """
    assert [f.line for f in run(src, codes={"REA204"})] == [4, 6]


def test_rea302_sees_every_clock_rea101_names() -> None:
    """An event loop's clock is found by REA101 beyond the callee's name; the key rule sees it
    too. (A linter-only case: the mypy plugin's REA302 does not follow loop clocks.)"""
    src = """\
    import asyncio
    import restate
    svc = restate.Service("s")
    @svc.handler()
    async def h(ctx: restate.Context, oid: str) -> None:
        loop = asyncio.get_running_loop()
        ctx.service_send(h, 1, idempotency_key=str(asyncio.get_running_loop().time()))
        ctx.service_send(h, 1, idempotency_key=f"{oid}-{loop.time()}")
        ctx.service_send(h, 1, idempotency_key=oid)
    """
    assert [(f.line, f.code) for f in run(src, codes={"REA302"})] == [(7, "REA302"), (8, "REA302")]


def test_rea107_points_at_the_assignment_not_the_global_line() -> None:
    src = "import restate\nN = 0\nasync def h(ctx: restate.Context):\n    global N\n    N += 1\n"
    assert [(f.line, f.col) for f in run(src, codes={"REA107"})] == [(5, 4)]


def test_rea401_loops_and_finally() -> None:
    src = """\
    import restate
    async def h(ctx: restate.Context):
        try:
            await ctx.get("k")
        except Exception:
            for _ in range(3):
                raise
        try:
            await ctx.get("k")
        except BaseException:
            try:
                pass
            finally:
                raise
        try:
            await ctx.get("k")
        except BaseException:
            while True:
                raise
    """
    assert [f.line for f in run(src, codes={"REA401"})] == [5]


def test_builtins_shadowed_at_module_level_are_not_builtins() -> None:
    src = "import restate\ndef open(p):\n    return p\nasync def h(ctx: restate.Context):\n    return open('x')\n"
    assert run(src, codes={"REA108"}) == []


def test_rea206_only_in_exclusive_context_kinds() -> None:
    src = "import restate\nasync def h(ctx: restate.ObjectSharedContext):\n    await ctx.sleep(d)\n"
    assert run(src, codes={"REA206"}) == []


def test_call_index_qualifies_as_the_model_does() -> None:
    """The shared call index (`rules.base.Calls`) answers builtins called by name itself, a
    function at a time: it must list exactly the handler calls `Model.call_target` qualifies,
    with the same names, in order (a builtin rebound in the function, in one around it or at
    module level is not the builtin)."""
    import ast

    from rea_lint.model import build_model
    from rea_lint.rules.base import Calls

    source = (
        "import restate, time\nfrom os import path as len\nsvc = restate.Service('s')\nopen = None\n"
        "@svc.handler()\nasync def h(ctx: restate.Context, str):\n"
        "    def inner(ctx: restate.Context):\n        sorted = list\n        return sorted(str(x)), min(1, 2), len('a')\n"
        "    print(str(1), repr(2), open('f'), time.time(), sorted([1]), repr(3))\n"
        "    bool = 1\n    return bool(inner(ctx))\n"
    )
    model = build_model(ast.parse(source))
    index = Calls(model, model.handler_nodes)
    pairs = [(call, fn) for call, fn in model.handler_nodes(ast.Call)]
    expected = [(call, fn, model.call_target(call, fn)) for call, fn in pairs if model.call_target(call, fn) is not None]
    assert index.resolved == expected
    assert {q for _c, _f, q in expected} >= {"builtins.repr", "builtins.min", "builtins.print", "time.time", "os.path"}
    assert "builtins.str" not in index.by_qual and "builtins.bool" not in index.by_qual  # a parameter, a local
    assert "builtins.open" not in index.by_qual and "builtins.sorted" in index.by_qual  # rebound in `inner` only


NESTED_CLIENT = """\
import httpx
import restate

svc = restate.Service("svc")


@svc.handler()
async def handle(ctx: restate.Context, url: str) -> str:
    client = httpx.AsyncClient()

    async def fetch() -> str:
        c = client
        return (await c.get(url)).text

    return await fetch()
"""


def test_rea108_a_nested_function_sees_what_its_enclosing_function_binds_on_every_run() -> None:
    """The bindings used to be read in the order of the functions' memory addresses: when the
    nested function's happened to be lower (memory freed by an earlier file and reused, as in
    a flake8 or `rea check` run over many files), `c = client` was read before `client` was
    known to be a client, and `c.get(...)` went unreported in some files of a run and not others."""
    found = []
    for _ in range(40):  # fresh trees and models each time: the allocator reuses what the last one freed
        findings = check_tree(ast.parse(NESTED_CLIENT))
        found.append(sorted((f.line, f.code) for f in findings))
    assert found == [[(9, "REA108"), (13, "REA108")]] * 40


HELPER_LOCALS = """\
from pathlib import Path

import restate

svc = restate.Service("svc")
BASE = Path("/srv")


def direct() -> Path:
    return BASE / "a.json"


def through_a_local(day: str) -> Path:
    folder = BASE / "reports"
    return folder / day


def not_always(day: str):
    folder = BASE / "reports"
    if not day:
        return None
    return folder / day


def rebound(day: str):
    folder = BASE / "reports"
    folder = folder.name
    return folder


@svc.handler()
async def handle(ctx: restate.Context, day: str) -> str:
    a = direct()
    b = through_a_local(day)
    c = not_always(day)
    d = rebound(day)
    a.read_text()
    through_a_local(day).stat()
    b.read_text()
    c.read_text()
    d.read_text()
    return day
"""


def test_rea108_follows_a_helpers_locals_to_its_returns() -> None:
    """A project function whose returns are all Paths gives a Path, also when a return reads a
    local the function bound to one (the helper's code is not among the handler code whose
    bindings the rule reads); a helper with another return, or whose local is rebound to
    something else, gives no Path. The handler binds `a` from `direct()` first: asking about
    the helpers while the handler's bindings are being read must not answer "no Path" early."""
    found = sorted((f.line, f.code) for f in run(HELPER_LOCALS, codes={"REA108"}))
    assert found == [(37, "REA108"), (38, "REA108"), (39, "REA108")]


LOCAL_SERVICE = """\
import restate
from restate import ObjectContext

counter = restate.Service("module-level")


def make_counter() -> restate.VirtualObject:
    counter = restate.VirtualObject("counter")

    @counter.handler(kind="shared")
    async def peek(ctx: ObjectContext) -> int:
        ctx.set("n", 1)
        return 0

    return counter


def rebinds(other):
    svc = restate.VirtualObject("a")
    svc = other

    @svc.handler(kind="shared")
    async def h(ctx: ObjectContext) -> None:
        ctx.set("n", 1)
"""


def test_a_service_object_made_in_a_function_gives_its_handlers_their_kind() -> None:
    """`counter` in `make_counter` is the VirtualObject made there, not the module's Service of
    that name: the handler is a shared one (REA203 expects `ObjectSharedContext`, and its state
    write is REA202). It used to be read as the module's Service: REA203 expected `Context`, and
    its autofix would have rewritten the annotation to that. A name bound to anything else as
    well (`rebinds`) makes no handler."""
    findings = run(LOCAL_SERVICE)
    assert sorted((f.line, f.code) for f in findings) == [(11, "REA203"), (12, "REA202")]
    mismatch = next(f for f in findings if f.code == "REA203")
    assert mismatch.data["expected"] == "ObjectSharedContext"  # type: ignore[index]


ATTRIBUTE_SERVICE = """\
import restate
from restate import ObjectContext


class Runtime:
    def __init__(self, other) -> None:
        self.utterances = restate.VirtualObject("utterances")
        self.later = other

        @self.utterances.handler(kind="shared")
        async def peek(ctx: ObjectContext) -> int:
            ctx.set("n", 1)
            return 0

        @self.later.handler(kind="shared")
        async def unknown(ctx: ObjectContext) -> None:
            ctx.set("n", 1)

        @self.early.handler(kind="shared")
        async def before(ctx: ObjectContext) -> None:
            ctx.set("n", 1)

        self.early = restate.VirtualObject("early")
        self.later = restate.VirtualObject("later")
"""


def test_a_service_object_kept_in_an_attribute_gives_its_handlers_their_kind() -> None:
    """`@self.utterances.handler(kind="shared")` in the `__init__` that sets
    `self.utterances = restate.VirtualObject(...)` above it: a shared handler of that object
    (REA203 expects `ObjectSharedContext`, its state write is REA202). An attribute also set to
    anything else there (`self.later`), or set only below the decorator (`self.early`: the
    decorator ran on whatever it held before), makes no handler."""
    findings = run(ATTRIBUTE_SERVICE)
    assert sorted((f.line, f.code) for f in findings) == [(11, "REA203"), (12, "REA202")]
    mismatch = next(f for f in findings if f.code == "REA203")
    assert mismatch.data["expected"] == "ObjectSharedContext"  # type: ignore[index]


CLOSURE_NAMES = """\
import restate

greeter = restate.Service("greeter")


@greeter.handler()
async def take(ctx: restate.Context) -> None:
    pass


def make() -> None:
    obj = restate.VirtualObject("o")

    class Holder:
        @obj.handler()
        async def take(ctx: restate.ObjectContext) -> None:
            pass

    @obj.handler()
    async def put(ctx: restate.ObjectContext) -> None:
        pass

    @greeter.handler()
    async def caller(ctx: restate.Context) -> None:
        await ctx.object_call(take, key="k", arg=None)
        await ctx.service_call(put, arg=None)
        await ctx.service_call(later, arg=None)

    @obj.handler()
    async def later(ctx: restate.ObjectContext) -> None:
        pass

    later = put  # noqa: F841
"""


def test_rea210_follows_a_name_to_the_def_of_the_function_that_binds_it() -> None:
    """From a handler defined in a function, a name is looked up as Python does: `put` is the
    function's own nested handler (a VirtualObject's: `service_call` is wrong); `take` is the
    module's Service handler, since a method of a class in the function binds no local name
    (`object_call` is wrong); `later` is also assigned, so what it holds at the call is not known."""
    findings = [f for f in run(CLOSURE_NAMES) if f.code == "REA210"]
    assert [(f.line, f.message.split(" does not")[0].split(": ", 1)[1]) for f in findings] == [
        (25, "`ctx.object_call(...)` on `take`, a handler of Service `greeter`,"),
        (26, "`ctx.service_call(...)` on `put`, a handler of VirtualObject `o`,"),
    ]


CLASS_SERVICE = """\
import restate

svc = restate.VirtualObject("counter")


class Greeter:
    svc = restate.Service("greeter")

    @staticmethod
    @svc.handler()
    async def greet(ctx: restate.Context, name: str) -> str:
        return name

    @staticmethod
    @svc.handler()
    async def wave(ctx: restate.ObjectContext, name: str) -> str:
        return name


@svc.handler()
async def add(ctx: restate.ObjectContext, n: int) -> int:
    return n
"""


def test_a_service_object_made_in_a_class_body_is_the_one_its_decorators_name() -> None:
    """A decorator in a class body is evaluated there: `svc` is the class's Service, not the
    module's VirtualObject of that name. `greet` takes the right context (it used to be read
    as a VirtualObject handler, REA203 with an autofix to `ObjectContext`); `wave` does not."""
    findings = run(CLASS_SERVICE)
    assert [(f.line, f.code) for f in findings] == [(16, "REA203")]
    assert findings[0].data["expected"] == "Context"  # type: ignore[index]
