"""The project link leaves out call sites no module of the linked set can be the target of
(`Linkable`): that must never hide a finding, whatever the layout and whatever the cache holds."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from rea_lint import runner
from rea_lint.cli import main
from rea_lint.config import ReaConfig
from rea_lint.project import Linkable, ModuleNames, ModuleSummary, Project, iter_python_files, summarize_source

REPO = Path(__file__).resolve().parent.parent

HANDLER = """\
    import restate
    {imports}

    svc = restate.Service("svc")


    @svc.handler()
    async def h(ctx: restate.Context):
        return {call}
    """

CLOCK = """\
    import time


    def now():
        return _read()


    def _read():
        return time.time()
    """


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[tuple[str, int, str]]]:
    before = runner.ANALYSES
    main(["check", "-j", "1", "--format", "json", *argv])
    doc = json.loads(capsys.readouterr().out)
    return runner.ANALYSES - before, [(f["path"], f["line"], f["code"]) for f in doc["findings"]]


def linked_both_ways(paths: list[Path], config: ReaConfig = ReaConfig()) -> tuple[dict[str, list], int, int]:
    """The project's findings linked from every site and from the sites `Linkable` keeps (they
    must be the same), the number of sites left out, and how many of them the full project
    resolves (must be none)."""
    names = ModuleNames()
    data = []
    for path in paths:
        try:
            module = names.of(str(path))[0]
            data.append(summarize_source(path.read_text(encoding="utf-8"), str(path), module, config).to_dict())
        except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError):
            continue
    linkable = Linkable(data)
    full = Project([ModuleSummary.from_dict(d) for d in data], config)
    kept = Project([ModuleSummary.from_dict(d, linkable) for d in data], config)

    def shown(project: Project) -> dict[str, list]:
        return {p: [(f.line, f.col, f.code, f.message) for f in found] for p, found in project.findings().items()}

    left_out = resolved = 0
    for summary in full._index.summaries:
        for site in [*summary.handler_calls, *(c for f in summary.functions.values() for c in f.calls)]:
            if not linkable.may_name(site.target):
                left_out += 1
                resolved += full.resolve(site.target, summary) is not None
    found = shown(full)
    assert shown(kept) == found
    return found, left_out, resolved


def test_a_module_added_later_is_linked_from_a_cached_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The handler's call to `stamps.now()` names no module at first (its site is left out of
    that link); its cached summary still has the site, so the run that adds `stamps.py`
    links it without analysing the handler again."""
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    write(tmp_path, {"app.py": HANDLER.format(imports="import stamps", call="stamps.now()")})
    monkeypatch.chdir(tmp_path)
    assert check(capsys, ".") == (1, [])
    write(tmp_path, {"stamps.py": CLOCK})
    assert check(capsys, ".") == (1, [("app.py", 9, "REA101")])
    (tmp_path / "stamps.py").unlink()
    assert check(capsys, ".") == (0, [])


def test_a_package_added_later_under_a_library_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A project that gains a `restate/` directory of its own: `restate.*` sites count from then on."""
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    write(tmp_path, {"app.py": HANDLER.format(imports="from restate import clock", call="clock.now()")})
    monkeypatch.chdir(tmp_path)
    assert check(capsys, ".") == (1, [])
    write(tmp_path, {"restate/clock.py": CLOCK})
    analysed, found = check(capsys, ".")
    assert (analysed, found) == (1, [("app.py", 9, "REA101")])


LAYOUTS = {
    "namespace package": {
        "ns/sub/clock.py": CLOCK,
        "app.py": HANDLER.format(imports="from ns.sub import clock", call="clock.now()"),
    },
    "relative import": {
        "shop/__init__.py": "",
        "shop/clock.py": CLOCK,
        "shop/handlers.py": HANDLER.format(imports="from .clock import now", call="now()"),
    },
    "relative import of a sibling module": {
        "shop/__init__.py": "",
        "shop/util/__init__.py": "",
        "shop/util/clock.py": CLOCK,
        "shop/handlers/__init__.py": "",
        "shop/handlers/main.py": HANDLER.format(imports="from ..util import clock", call="clock.now()"),
    },
    "src root": {
        "src/shop/__init__.py": "",
        "src/shop/clock.py": CLOCK,
        "tests/test_app.py": HANDLER.format(imports="from shop.clock import now", call="now()"),
    },
    "star export": {
        "shop/__init__.py": "from shop.clock import *\n",
        "shop/clock.py": CLOCK,
        "app.py": HANDLER.format(imports="import shop", call="shop.now()"),
    },
    "re-export": {
        "shop/__init__.py": "from shop.clock import now as current\n",
        "shop/clock.py": CLOCK,
        "app.py": HANDLER.format(imports="import shop", call="shop.current()"),
    },
    "renamed import": {
        "shop/__init__.py": "",
        "shop/clock.py": CLOCK,
        "app.py": HANDLER.format(imports="from shop.clock import now as stamp", call="stamp()"),
    },
    "renamed re-export imported by name": {
        "shop/__init__.py": "from shop.clock import now as current\n",
        "shop/clock.py": CLOCK,
        "app.py": HANDLER.format(imports="from shop import current", call="current()"),
    },
    "re-export of a re-export": {
        "shop/__init__.py": "from shop.inner import current as latest\n",
        "shop/inner.py": "from shop.clock import now as current\n",
        "shop/clock.py": CLOCK,
        "app.py": HANDLER.format(imports="import shop", call="shop.latest()"),
    },
    "class's static method": {
        "shop/__init__.py": "",
        "shop/pricing.py": "import time\n\n\nclass Quote:\n    @staticmethod\n    def total():\n        return time.time()\n",
        "app.py": HANDLER.format(imports="from shop.pricing import Quote", call="Quote.total()"),
    },
    "directory above the project": {
        "clock.py": CLOCK,
        "svc/app.py": HANDLER.format(imports="import proj.clock", call="proj.clock.now()"),
    },
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_link_the_same_with_the_sites_left_out(tmp_path: Path, layout: str) -> None:
    root = tmp_path / "proj"
    write(root, LAYOUTS[layout])
    found, left_out, resolved = linked_both_ways(sorted(root.rglob("*.py")))
    assert left_out >= 1 and resolved == 0  # `restate.Service`, `time.time` at least
    # (a star export is not followed: `Project`'s reading, unchanged by leaving sites out)
    chains = sum(len(v) for v in found.values())
    assert chains == (0 if layout == "star export" else 1)


def test_heads_cover_every_name_a_root_has(tmp_path: Path) -> None:
    """`Linkable` is computed apart from `Project`: it must hold the first part of every name
    the root index has and of every module name, and the last part of every function."""
    files = {name: text for layout in LAYOUTS.values() for name, text in layout.items()}
    write(tmp_path / "a-b" / "c", files)
    write(tmp_path / "x", {"not-an-identifier.py": CLOCK, "3d.py": CLOCK})
    paths = sorted(tmp_path.rglob("*.py"))
    names = ModuleNames()
    summaries = [summarize_source(p.read_text(), str(p), names.of(str(p))[0]) for p in paths]
    linkable = Linkable(s.to_dict() for s in summaries)
    project = Project(summaries)
    wanted = {n.partition(".")[0] for n in project._index.names} | {s.module.partition(".")[0] for s in summaries}
    assert len(wanted) >= 10 and wanted <= linkable.heads
    lasts = {q.rpartition(".")[2] for q in project.functions}
    assert len(lasts) >= 3 and lasts <= linkable.lasts


@pytest.mark.parametrize(("tree", "files", "sites", "chains"), [("fixtures", 28, 200, 15), ("examples", 7, 15, 0)])
def test_sites_left_out_in_the_repository_trees_resolve_to_nothing(tree: str, files: int, sites: int, chains: int) -> None:
    paths = sorted(iter_python_files([REPO / tree]))
    found, left_out, resolved = linked_both_ways(paths)
    assert len(paths) >= files and left_out >= sites and resolved == 0
    assert sum(len(v) for v in found.values()) >= chains
