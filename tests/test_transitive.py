"""Transitive analysis: depth, cycles, cross-module resolution, allow-lists, no double reports."""

from __future__ import annotations

import ast
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from rea_lint.config import ReaConfig, parse_table
from rea_lint.engine import check_tree
from rea_lint.project import ModuleSummary, Project, merge, module_name, summarize_source
from tests.conftest import FIXTURES, REPO

HANDLER = """\
import restate
svc = restate.Service("svc")
"""


def write(root: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
        paths.append(p)
    return paths


def findings(root: Path, files: dict[str, str], config: ReaConfig = ReaConfig()) -> dict[str, list[tuple[int, str, str]]]:
    paths = write(root, files)
    project = Project.from_files(paths, config)
    return {
        str(Path(path).relative_to(root)): [(f.line, f.code, f.message) for f in found]
        for path, found in project.findings().items()
    }


def same_module(source: str, config: ReaConfig = ReaConfig()) -> list[tuple[int, str, str]]:
    """check_tree's findings, which must not change when flake8 hands over the source lines
    too (with them, helpers whose text spells nothing to look for are not walked)."""
    text = textwrap.dedent(source)
    tree = ast.parse(text)
    got = [(f.line, f.code, f.message) for f in check_tree(tree, config)]
    with_lines = [(f.line, f.code, f.message) for f in check_tree(tree, config, lines=text.splitlines(True))]
    assert with_lines == got
    return got


def test_depth_and_chain_text() -> None:
    got = same_module(
        HANDLER
        + """
import time
def a(): return b()
def b(): return c()
def c(): return d()
def d(): return time.time()
@svc.handler()
async def h(ctx):
    return a()
"""
    )
    assert len(got) == 1
    line, code, message = got[0]
    assert (line, code) == (11, "REA101")
    assert "via a() -> b() -> c() -> d() -> time.time():" in message


def test_shortest_chain_is_reported() -> None:
    got = same_module(
        HANDLER
        + """
import time
def long1(): return long2()
def long2(): return short()
def short(): return time.time()
def entry(): return long1() if x else short()
@svc.handler()
async def h(ctx):
    return entry()
"""
    )
    assert [m for _, _, m in got] and "via entry() -> short() -> time.time():" in got[0][2]


def test_cycles_terminate_with_and_without_a_source() -> None:
    got = same_module(
        HANDLER
        + """
import time
def a(n): return b(n)
def b(n): return a(n - 1) if n else c()
def c(): return c()
def loop_clean(n): return loop_clean(n - 1)
def self_rec(n): return self_rec(n - 1) if n else time.time()
@svc.handler()
async def h(ctx):
    a(3)
    loop_clean(2)
    self_rec(1)
"""
    )
    assert [(line, code) for line, code, _ in got] == [(14, "REA101")]


def test_handler_code_reports_in_place_not_at_callers() -> None:
    got = same_module(
        HANDLER
        + """
import time
def helper(ctx: restate.Context):
    return time.time()
def wrapper(ctx: restate.Context):
    return helper(ctx)
@svc.handler()
async def h(ctx):
    return wrapper(ctx)
"""
    )
    assert [(line, code) for line, code, _ in got] == [(6, "REA101")]
    assert "via" not in got[0][2]


def test_run_actions_and_dynamic_calls_are_not_followed() -> None:
    got = same_module(
        HANDLER
        + """
import httpx
def fetch(url): return httpx.get(url)
REGISTRY = {"fetch": fetch}
@svc.handler()
async def h(ctx, cb):
    await ctx.run_typed("f", fetch, url="x")
    await ctx.run("g", lambda: fetch("y"))
    cb()
    REGISTRY["fetch"]("z")
    getattr(ctx, "x")()
"""
    )
    assert got == []


def test_one_helper_several_codes() -> None:
    got = same_module(
        HANDLER
        + """
import time, random
def noisy(): return time.time() + random.random() + time.time_ns()
@svc.handler()
async def h(ctx):
    return noisy()
"""
    )
    assert sorted(code for _, code, _ in got) == ["REA101", "REA102"]


ENV_READS = HANDLER + """
import os
def settings():
    names = list(os.environ.keys())
    region = os.environ.get("REGION", "eu")
    debug = os.getenv("DEBUG")
    return names, region, debug
@svc.handler()
async def h(ctx):
    return settings()
"""


def test_a_chain_names_the_first_thing_its_helper_does_in_the_source() -> None:
    """REA109's detector yields `os.getenv` calls first and `os.environ` methods by name; the
    chain names the helper's first read as written, on either path."""
    (got,) = same_module(ENV_READS)
    assert got[1] == "REA109"
    assert "via settings() -> os.environ.keys():" in got[2], got[2]


def test_a_chain_reads_the_same_under_every_hash_seed(tmp_path: Path) -> None:
    """The methods a detector looks for are a set, iterated in an order that changes with
    Python's string hashing from run to run; the message must not."""
    path = write(tmp_path, {"svc.py": ENV_READS})[0]
    seen = set()
    for seed in range(6):
        done = subprocess.run(
            [sys.executable, "-m", "rea_lint", "check", "--no-cache", "--output-format", "concise", str(path)],
            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": str(seed)},
        )
        assert "REA109" in done.stdout, done.stdout + done.stderr
        seen.add(done.stdout)
    assert len(seen) == 1, seen


def test_cross_module_imports_and_reexports(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        {
            "shop/__init__.py": "from shop.clock import now as current_time\n",
            "shop/clock.py": "import time\ndef now():\n    return _read()\ndef _read():\n    return time.time()\n",
            "shop/net.py": "import requests\ndef get(u):\n    return requests.get(u)\n",
            "shop/pricing.py": "from . import net\ndef quote(u):\n    return net.get(u)\n",
            "shop/handlers.py": HANDLER
            + textwrap.dedent(
                """\
                import shop
                from shop.pricing import quote
                from shop import clock
                @svc.handler()
                async def h(ctx):
                    a = quote("u")
                    b = clock.now()
                    c = shop.current_time()
                    return a, b, c
                """
            ),
        },
    )
    assert list(got) == ["shop/handlers.py"]
    rows = got["shop/handlers.py"]
    assert [(line, code) for line, code, _ in rows] == [(8, "REA108"), (9, "REA101"), (10, "REA101")]
    assert "via quote() -> net.get() -> requests.get(...):" in rows[0][2]
    assert "via clock.now() -> _read() -> time.time():" in rows[1][2]
    assert "via shop.current_time() -> _read() -> time.time():" in rows[2][2]


def test_relative_imports_outside_any_package_follow_the_file_tree(tmp_path: Path) -> None:
    """A directory that is no package (`insurance-workflows/`, no `__init__.py`) whose modules
    import each other relatively, as restatedev/ai-examples' apps do: `.clock` is the sibling
    file and `..shared.net` the one a directory up, as Python finds them when it runs the
    directory as a package; a name no file holds stays unresolved."""
    got = findings(
        tmp_path,
        {
            "apps/shop-app/clock.py": "import time\ndef now():\n    return time.time()\n",
            "apps/shared/net.py": "import requests\ndef get(u):\n    return requests.get(u)\n",
            "apps/shop-app/handlers.py": HANDLER
            + textwrap.dedent(
                """\
                from .clock import now
                from . import clock
                from ..shared.net import get
                from .missing import nothing
                @svc.handler()
                async def h(ctx):
                    a = now()
                    b = clock.now()
                    c = get("u")
                    return a, b, c, nothing()
                """
            ),
        },
    )
    assert list(got) == ["apps/shop-app/handlers.py"]
    rows = got["apps/shop-app/handlers.py"]
    assert [(line, code) for line, code, _ in rows] == [(9, "REA101"), (10, "REA101"), (11, "REA108")]
    assert "via now() -> time.time():" in rows[0][2] and "via clock.now() -> time.time():" in rows[1][2]


def test_cross_module_cycle(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\ndef f(n):\n    return b.g(n)\n",
            "pkg/b.py": "from pkg import a\nimport uuid\ndef g(n):\n    return a.f(n - 1) if n else uuid.uuid4()\n",
            "pkg/h.py": HANDLER + "from pkg.a import f\n@svc.handler()\nasync def h(ctx):\n    return f(3)\n",
        },
    )
    assert [(line, code) for line, code, _ in got["pkg/h.py"]] == [(6, "REA103")]
    assert "via f() -> b.g() -> uuid.uuid4():" in got["pkg/h.py"][0][2]


def test_allow_list_exempts_functions_as_source_and_as_link(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/clock.py": "import time\ndef now():\n    return time.time()\ndef later():\n    return now() + 1\n",
        "app/h.py": HANDLER
        + "from app.clock import now, later\n@svc.handler()\nasync def h(ctx):\n    now()\n    later()\n",
    }
    assert len(findings(tmp_path, files)["app/h.py"]) == 2
    allow_now = parse_table({"allow": ["app.clock.now"]})
    assert findings(tmp_path, files, allow_now) == {}
    allow_glob = parse_table({"allow": ["app.clock.l*"]})
    assert [line for line, _, _ in findings(tmp_path, files, allow_glob)["app/h.py"]] == [6]


def test_disabled_codes_are_not_reported_transitively() -> None:
    src = HANDLER + "import time\ndef f():\n    return time.time()\n@svc.handler()\nasync def h(ctx):\n    return f()\n"
    assert same_module(src, parse_table({"ignore": ["REA101"]})) == []


def test_extra_calls_naming_a_project_function_report_once() -> None:
    src = HANDLER + "import time\ndef now():\n    return time.time()\n@svc.handler()\nasync def h(ctx):\n    return now()\n"
    config = parse_table({"extra-calls": {"REA101": ["__module__.now"]}})
    got = same_module(src, config)
    assert [(line, code) for line, code, _ in got] == [(8, "REA101")]


def test_extra_calls_are_transitive_sources() -> None:
    src = HANDLER + "import mydb\ndef load():\n    return mydb.connect().fetch()\n@svc.handler()\nasync def h(ctx):\n    return load()\n"
    config = parse_table({"extra-calls": {"REA108": ["mydb.connect"]}})
    got = same_module(src, config)
    assert [(line, code) for line, code, _ in got] == [(8, "REA108")]
    assert "via load() -> mydb.connect():" in got[0][2]


def test_summary_is_plain_data(tmp_path: Path) -> None:
    src = HANDLER + "import time\ndef f():\n    return time.time()\n@svc.handler()\nasync def h(ctx):\n    return f()\n"
    summary = summarize_source(src, "m.py", "m")
    assert ModuleSummary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary
    assert pickle.loads(pickle.dumps(summary)) == summary
    project = Project([ModuleSummary.from_dict(summary.to_dict())])
    assert [f.code for f in project.findings()["m.py"]] == ["REA101"]


def test_summary_version_mismatch_is_refused() -> None:
    data = summarize_source("x = 1\n", "m.py", "m").to_dict()
    data["version"] = -1
    with pytest.raises(ValueError):
        ModuleSummary.from_dict(data)


def test_module_name(tmp_path: Path) -> None:
    write(tmp_path, {"src/pkg/__init__.py": "", "src/pkg/sub/__init__.py": "", "src/pkg/sub/mod.py": "", "top.py": ""})
    assert module_name(tmp_path / "src/pkg/sub/mod.py") == "pkg.sub.mod"
    assert module_name(tmp_path / "src/pkg/sub/__init__.py") == "pkg.sub"
    assert module_name(tmp_path / "top.py") == "top"
    assert module_name(tmp_path / "src/pkg/sub/mod.py", root=tmp_path / "src/pkg") == "sub.mod"


def test_unparsable_files_are_skipped(tmp_path: Path) -> None:
    got = findings(tmp_path, {"bad.py": "def (:\n", "ok.py": "x = 1\n"})
    assert got == {}


def test_merge_drops_duplicates_only() -> None:
    from rea_lint.findings import Finding

    a = [Finding(1, 0, "REA101", "x")]
    b = [Finding(1, 0, "REA101", "y"), Finding(2, 0, "REA101", "z")]
    assert [(f.line, f.message) for f in merge(a, b)] == [(1, "x"), (2, "z")]


def test_the_source_lines_never_hide_a_chain_their_text_may_misstate() -> None:
    """flake8 passes its lines so that helpers are read as text before any is walked. A name
    spelled in a form Python folds (NFKC), a line break `str.splitlines` sees and the parser
    does not, a call on the `def` line or from a decorator: each still gives the chain."""
    base = HANDLER + "import time\n"
    handler = "@svc.handler()\nasync def h(ctx):\n    return a()\n"
    cases = {
        "plain": "def a():\n    return time.time()\n",
        "folded": "def a():\n    return \uff54ime.time()\n",  # fullwidth t: the name is `time`
        "one line": "def a(): return time.time()\n",
        "form feed": "def a():\n    x = 1; \x0c\n    return time.time()\n",
        "via decorator": "def a():\n    @b()\n    def inner(): pass\n    return inner\ndef b():\n    return time.time()\n",
        "via nested call": "def a():\n    return (\n        b())\ndef b():\n    return time.time()\n",
    }
    for name, helpers in cases.items():
        text = base + helpers + handler
        tree = ast.parse(text)
        for lines in (text.splitlines(True), None):
            got = [f.code for f in check_tree(tree, lines=lines)]
            assert got == ["REA101"], (name, lines is None, got)
    quiet = base + "def a():\n    # time.time() would be wrong here\n    return 'time'\n" + handler
    assert same_module(quiet) == []
    assert len(cases) == 6


def test_a_coroutine_maker_handed_to_a_run_is_followed_only_where_it_is_also_awaited() -> None:
    """The same-module path leaves out the calls `ctx.run` receives as coroutine makers (the
    body does not run there) also when a helper they reach does something forbidden."""
    source = HANDLER + """
import time
async def stamp():
    return time.time()
def plain():
    return time.time()
async def both():
    return time.time()
@svc.handler()
async def h(ctx):
    await ctx.run("s", stamp())
    await ctx.run("b", both())
@svc.handler()
async def k(ctx):
    await both()
    return plain()
"""
    got = same_module(source)
    assert [(line, code) for line, code, _ in got] == [(13, "REA208"), (14, "REA208"), (17, "REA101"), (18, "REA101")]
    assert "via both() -> time.time()" in got[2][2] and "via plain() -> time.time()" in got[3][2]
    only_run = [(line, code) for line, code, _ in same_module(source.replace("    await both()\n", ""))]
    assert only_run == [(13, "REA208"), (14, "REA208"), (17, "REA101")]


def test_spelled_words_are_the_identifiers_a_scan_would_list() -> None:
    """`spelled._spells` looks only where a word occurs; it must answer as listing every
    identifier of the text would (runs of identifier characters less their leading digits),
    for every word of every fixture, example and rea_lint module, for words that occur only inside
    longer ones, for dotted and digit-led words, and at the text's two ends."""
    import re

    from rea_lint.spelled import _spells

    listed = re.compile("[A-Za-z_][A-Za-z0-9_]*").findall
    texts = [p.read_text(encoding="utf-8") for p in sorted([*FIXTURES.glob("*.py"), *(REPO / "examples").rglob("*.py"),
                                                               *(REPO / "rea_lint").rglob("*.py")])]
    texts = [t for t in texts if t.isascii()]
    texts += ["if", "1if", "x1if", "_if", "1_if", "if1", "if_", "9", "a.b", "time(timeout)", "0x1f", " timeout"]
    checked = differ = 0
    for text in texts:
        found = set(listed(text))
        words = found | {w[1:] for w in found if len(w) > 1} | {w[:-1] for w in found if len(w) > 1}
        words |= {"a.b", "time.time", "", "1if", "x"}
        for word in words:
            checked += 1
            if _spells(text, word) != (word in found):
                differ += 1
    assert len(texts) > 100 and checked > 50_000, (len(texts), checked)
    assert differ == 0


def test_spelled_reads_identifiers_not_substrings() -> None:
    """`_Spelled` answers whether a helper's body spells a word as an identifier: a word
    inside a longer one (`timeout`) is not spelled, one after leading digits (`1if`) is, and
    the joined text the engine hands over reads as the lines do."""
    from rea_lint.model import build_model
    from rea_lint.spelled import Spelled as _Spelled

    source = textwrap.dedent("""\
        def helper(x):
            timeout = 0x1f
            return 1if x else timeout
        """)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # `1if`: Python reads it, and warns
        tree = ast.parse(source)
    fn = build_model(tree).functions[0]
    lines = source.splitlines(keepends=True)
    for spelled in (_Spelled(lines), _Spelled(lines, "\n".join(lines))):
        assert spelled.any_of(fn, frozenset({"time"})) is False
        assert spelled.any_of(fn, frozenset({"helper"})) is False  # the `def` line is not read
        assert spelled.any_of(fn, frozenset({"if"})) is True
        assert spelled.any_of(fn, frozenset({"x1f"})) is True
        assert spelled.any_of(fn, frozenset({"timeout", "nothing"})) is True
    assert _Spelled(["def f():\n", "    é = 1\n"]).any_of(
        build_model(ast.parse("def f():\n    é = 1\n")).functions[0], frozenset({"x"})) is None
