"""`rea diff`: git revisions in a throwaway repository, the work tree, two directories,
formats, exit codes (0 compatible, 1 breaking, 2 error) and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from rea_lint.cli import main

ROOT = Path(__file__).resolve().parent.parent

V1 = textwrap.dedent(
    """\
    import restate
    from datetime import timedelta

    orders = restate.VirtualObject("Orders")


    @orders.handler()
    async def place(ctx: restate.ObjectContext, sku: str) -> str:
        await ctx.run("reserve", lambda: sku)
        await ctx.sleep(timedelta(seconds=30))
        await ctx.run("charge", lambda: sku)
        return "ok"


    @orders.handler(kind="shared")
    async def status(ctx: restate.ObjectSharedContext) -> str:
        return await ctx.get("status") or "new"
    """
)
V2_COMPATIBLE = V1.replace('lambda: sku)\n    return', 'lambda: sku.upper())\n    ctx.set("status", "paid")\n    return')
assert V2_COMPATIBLE != V1
V2_BREAKING = V1.replace('await ctx.sleep(timedelta(seconds=30))', 'await ctx.run("check stock", lambda: sku)\n    await ctx.sleep(timedelta(seconds=30))')


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository with `main` at V1 (cwd)."""
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    git(r, "config", "user.email", "t@example.com")
    git(r, "config", "user.name", "t")
    (r / "shop").mkdir()
    (r / "shop" / "__init__.py").write_text("")
    (r / "shop" / "orders.py").write_text(V1)
    git(r, "add", ".")
    git(r, "commit", "-qm", "v1")
    monkeypatch.chdir(r)
    return r


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_work_tree_against_default_merge_base_compatible(repo, capsys):
    git(repo, "checkout", "-qb", "feature")
    (repo / "shop" / "orders.py").write_text(V2_COMPATIBLE)
    code, out, err = run(capsys)
    assert code == 0, out + err
    assert "2 handlers compared: 2 compatible" in out
    assert "merge base of HEAD and main" in out


def test_breaking_change_between_two_commits(repo, capsys):
    (repo / "shop" / "orders.py").write_text(V2_BREAKING)
    git(repo, "commit", "-qam", "v2")
    code, out, err = run(capsys, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1, out + err
    lines = out.splitlines()
    assert lines[0].startswith("shop/orders.py:8: Orders/place: breaks in-flight invocations")
    assert "journal index 2:" in out
    assert "old: `ctx.sleep(timedelta(seconds=30))` (shop/orders.py:10)" in out
    assert "new: `ctx.run('check stock', lambda: sku)` (shop/orders.py:10)" in out
    assert "those suspended at or after `ctx.sleep(timedelta(seconds=30))` (shop/orders.py:10)" in out
    assert "keep the old deployment registered until its invocations drain" in out
    assert "1 compatible, 1 breaks in-flight invocations" in out


def test_exit_zero_and_paths_limit(repo, capsys):
    (repo / "shop" / "orders.py").write_text(V2_BREAKING)
    (repo / "other.py").write_text(V1.replace('"Orders"', '"Other"'))
    code, out, _ = run(capsys, "--base", "HEAD", "--exit-zero")
    assert code == 0 and "breaks in-flight" in out and "Other/place: added" not in out
    code, out, _ = run(capsys, "--base", "HEAD", "-v", "other.py")
    assert code == 0 and "Other/place: added" in out and "Orders" not in out


def test_removed_handler_and_kind_change(repo, capsys):
    v2 = V1.replace('@orders.handler(kind="shared")\nasync def status', '@orders.handler()\nasync def status')
    v2 = v2.replace("async def place", "async def place_order")
    (repo / "shop" / "orders.py").write_text(v2)
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1
    assert "Orders/place: removed" in out and "renamed to Orders/place_order?" in out
    assert "Orders/status: handler kind changed" in out and "a virtual object's shared handler to a virtual object's exclusive handler" in out


def test_json_sarif_github(repo, capsys, tmp_path):
    (repo / "shop" / "orders.py").write_text(V2_BREAKING)
    code, out, err = run(capsys, "--base", "HEAD", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["schema"] == "rea-diff/1" and doc["head"] == "the work tree"
    place = next(h for h in doc["handlers"] if h["handler"] == "place")
    assert place["verdict"] == "breaking"
    d = place["divergence"]
    assert d["index"] == 2 and d["old"]["command"] == "sleep" and d["new"]["command"] == "run"
    assert d["new"]["fields"] == {"name": "check stock"} and d["old"]["line"] == 10
    assert doc["summary"] == {"handlers": 2, "compatible": 1, "breaking": 1}
    assert "rea diff HEAD -> the work tree" in err  # the summary goes to stderr for machine formats

    code, out, _ = run(capsys, "--base", "HEAD", "--format", "sarif")
    sarif = json.loads(out)
    schema = json.loads((ROOT / "tests" / "resources" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "breaking" and result["locations"][0]["physicalLocation"]["region"]["startLine"] == 8

    code, out, _ = run(capsys, "--base", "HEAD", "--format", "github")
    (line,) = out.splitlines()
    assert line.startswith("::error file=shop/orders.py,line=8,title=rea diff%3A Orders/place breaks in-flight invocations::")

    report = tmp_path / "report.json"
    code, out, _ = run(capsys, "--base", "HEAD", "--format", "json", "-o", str(report))
    assert code == 1 and out == "" and json.loads(report.read_text())["schema"] == "rea-diff/1"


def test_two_directories(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a git repository: directories need none
    for name, text in (("old", V1), ("new", V2_BREAKING)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "orders.py").write_text(text)
    code, out, _ = run(capsys, "--base", "old", "--head", "new")
    assert code == 1 and "orders.py:8: Orders/place: breaks in-flight invocations" in out
    (tmp_path / "new" / "orders.py").write_text(V2_COMPATIBLE)
    code, out, _ = run(capsys, "--base", "old", "--head", "new")
    assert code == 0 and "2 compatible" in out


def test_the_whole_command_runs_without_the_collector_and_leaves_no_cycle_per_handler(tmp_path, capsys, monkeypatch):
    """`rea diff` keeps every handler's shape of both sides until it has compared and reported
    them, so it runs with the cyclic collector off (`engine.tree_mode`): each collection would
    walk them all again and free nothing (14% of the CPU at 5,000 modules). That holds only if
    comparing and reporting leave no reference cycles either: the garbage a collection finds
    after the command (argparse's, building the parser) is the same for 2 and for 8 modules."""
    import gc

    from rea_lint.journal import command
    from tests.conftest import cyclic_garbage

    monkeypatch.chdir(tmp_path)
    seen: list[bool] = []
    inner = command._run
    monkeypatch.setattr(command, "_run", lambda args: seen.append(gc.isenabled()) or inner(args))
    garbage: dict[int, int] = {}
    for modules in (2, 8):
        for name, text in (("old", V1), ("new", V2_BREAKING)):
            for i in range(modules):
                (tmp_path / f"{name}{modules}").mkdir(exist_ok=True)
                (tmp_path / f"{name}{modules}" / f"orders{i}.py").write_text(text.replace('"Orders"', f'"Orders{i}"'))
        argv = ["diff", "--base", f"old{modules}", "--head", f"new{modules}", "--format", "json", "-o", "out.json"]
        assert gc.isenabled() and main(argv) == 1 and gc.isenabled()
        code, found = cyclic_garbage(lambda: main(argv))
        assert code == 1 and len(json.loads((tmp_path / "out.json").read_text())["handlers"]) == 2 * modules
        garbage[modules] = len(found)
    capsys.readouterr()
    assert seen == [False] * 4  # the collector was off from the command's start
    assert garbage[2] == garbage[8], garbage


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--base", "no-such-rev"], "rea: error: unknown revision 'no-such-rev'"),
        (["--base", "HEAD", "--head", "v9"], "rea: error: unknown revision 'v9'"),
        (["--base", "HEAD", "/"], "rea: error: /: path outside the repository"),
        (["--base", "HEAD", "missing.py"], "rea: error: missing.py: no such file or directory"),
        (["--base", "shop"], "rea: error: --base is a directory: give --head NEW_DIR too"),
        # a value that names nothing: said as it is (not "a directory", not "not a git repository")
        (["--base", ""], "rea: error: --base is empty: give a git revision (a branch, a tag, a commit hash) or a directory"),
        (["--base", "HEAD", "--head", ""], "rea: error: --head is empty: give a git revision"),
        (["--base", "HEAD", ""], "rea: error: a PATH is empty: name a file or a directory (`.` for the whole repository)"),
        (["--base", "./nope_dir/"], "rea: error: --base ./nope_dir/: no such directory"),
        (["--base", "old/", "--head", "new/"], "rea: error: --base old/: no such directory"),
        (["--base", "shop/orders.py"], "rea: error: --base shop/orders.py is a file, and no revision has that name: --base takes "
                                       "a git revision or a directory; to compare one file, name it as a PATH"),
    ],
)
def test_errors_are_one_line_exit_2(repo, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_the_parent_of_the_first_commit_is_named_as_such(repo, capsys):
    """`--base C~1` for a repository's first commit: the commit exists, it has no parent (the
    error said no commit had that name). A name that is not there at all is still that."""
    root = git(repo, "rev-list", "--max-parents=0", "HEAD")
    for rev in (f"{root}~1", f"{root[:8]}^", "HEAD~1"):
        code, _, err = run(capsys, "--base", rev, "--head", "HEAD")
        assert code == 2 and err.count("\n") == 1, err
        assert err.startswith(f"rea: error: unknown revision {rev!r}: {rev[:-2] if rev.endswith('~1') else rev[:-1]!r} is the first commit"), err
    code, _, err = run(capsys, "--base", "nosuch~1")
    assert code == 2 and "no commit of this repository has that name" in err


def test_not_a_git_repository(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys)
    assert code == 2 and "is not inside a git repository" in err and err.count("\n") == 1
    code, _, err = run(capsys, "--base", "./nope_dir/")
    assert code == 2 and err == "rea: error: --base ./nope_dir/: no such directory\n"
    code, _, err = run(capsys, "--base", "old")  # a revision outside a repository: no such directory either
    assert code == 2 and err.startswith("rea: error: --base old: no such directory, and ") and "is not inside a git repository" in err
    (tmp_path / "a.py").write_text(V1)
    (tmp_path / "b.py").write_text(V1)
    code, _, err = run(capsys, "--base", "a.py", "--head", "b.py")
    assert code == 2 and err.startswith("rea: error: --base a.py is a file, and ") and err.count("\n") == 1


def test_outside_a_repository_the_paths_name_it(repo, capsys, tmp_path, monkeypatch):
    """As `git -C`: run from anywhere, `rea diff PATH` compares the repository PATH is in."""
    (repo / "shop" / "orders.py").write_text(V2_BREAKING)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "--base", "HEAD", str(repo / "shop"))
    assert code == 1, out + err
    assert out.startswith("shop/orders.py:8: Orders/place: breaks in-flight invocations")
    code, out, err = run(capsys, "--base", "HEAD", str(repo / "shop" / "orders.py"))
    assert code == 1 and "Orders/place: breaks" in out
    code, _, err = run(capsys, "--base", "HEAD")  # no path: the working directory's, and it has none
    assert code == 2 and "is not inside a git repository" in err and err.count("\n") == 1


def test_no_default_branch(tmp_path, capsys, monkeypatch):
    r = tmp_path / "r"
    r.mkdir()
    git(r, "init", "-q", "-b", "trunk")
    git(r, "config", "user.email", "t@example.com")
    git(r, "config", "user.name", "t")
    (r / "a.py").write_text(V1)
    git(r, "add", ".")
    git(r, "commit", "-qm", "x")
    monkeypatch.chdir(r)
    code, _, err = run(capsys)
    assert code == 2 and "no default branch found" in err and "--base REV" in err


def test_unparsable_file_is_named(repo, capsys):
    """A file that may define a handler (it names a service factory) and does not parse: named,
    and the run does not pass (what it defines is not known; tests/test_diff_unreadable.py)."""
    (repo / "shop" / "broken.py").write_text("import restate\nsvc = restate.Service('Broken')\ndef (:\n")
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1
    assert "the work tree: shop/broken.py:3: cannot parse" in out and "1 file could not be compared" in out


def test_diff_does_not_import_restate(repo):
    (repo / "shop" / "orders.py").write_text(V2_BREAKING)
    probe = (
        "import sys\nfrom rea_lint.cli import main\ncode = main(['diff', '--base', 'HEAD', '--format', 'json'])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('restate', 'flake8', 'libcst', 'mypy')]\n"
        "sys.stderr.write(repr(bad))\nsys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert done.stderr.endswith("[]")


def test_unknown_exits_0_unless_asked(repo, capsys):
    (repo / "shop" / "orders.py").write_text(V1.replace('await ctx.run("reserve", lambda: sku)', 'await ctx.run(f"reserve-{sku}", lambda: sku)'))
    git(repo, "commit", "-qam", "computed name")
    (repo / "shop" / "orders.py").write_text(V1.replace('await ctx.run("reserve", lambda: sku)', 'await ctx.run(f"reserve-{sku.lower()}", lambda: sku)'))
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 0 and "Orders/place: unknown: `ctx.run(f'reserve-{sku}'" in out and "computed at run time" in out
    code, _, _ = run(capsys, "--base", "HEAD", "--fail-on-unknown")
    assert code == 1


def test_unwritable_output_file_is_one_line(repo, capsys, tmp_path):
    code, _, err = run(capsys, "--base", "HEAD", "-o", str(tmp_path / "no" / "such" / "dir" / "x.json"))
    assert code == 2 and err.startswith("rea: error: ") and "cannot write" in err and err.count("\n") == 1


def test_the_report_never_replaces_python_source(repo, capsys):
    before = (repo / "shop" / "orders.py").read_bytes()
    code, out, err = run(capsys, "--base", "HEAD", "-o", "shop/orders.py")
    assert code == 2 and out == ""
    assert err == ("rea: error: -o shop/orders.py: is Python source; writing the report there would replace its code. "
                   "Name another file (rea-diff.txt, rea-diff.sarif)\n")
    assert (repo / "shop" / "orders.py").read_bytes() == before


def test_removed_service_is_named(repo, capsys):
    (repo / "shop" / "orders.py").write_text(V1.replace('"Orders"', '"Purchases"'))
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1
    assert out.splitlines()[0] == "service Orders: removed (or renamed): every handler of it is gone; its handlers are listed below"
    assert "Orders/place: removed" in out and "Orders/status: removed" in out
    code, out, _ = run(capsys, "--base", "HEAD", "--format", "json")
    assert json.loads(out)["services_removed"] == ["Orders"]


def test_a_positional_handler_name_is_what_the_output_names(repo, capsys):
    """`@orders.handler("placeOrder")` is Restate's Orders/placeOrder: renaming it is a removal
    (exit 1, the name Restate knows in the output); renaming the function alone passes."""
    named = V1.replace("@orders.handler()\nasync def place(", '@orders.handler("placeOrder")\nasync def place(')
    assert named != V1
    (repo / "shop" / "orders.py").write_text(named)
    git(repo, "commit", "-qam", "named")
    (repo / "shop" / "orders.py").write_text(named.replace('"placeOrder"', '"placeOrderV2"'))
    code, out, _ = run(capsys, "--base", "HEAD", "-v")
    assert code == 1 and "Orders/placeOrder: removed" in out and "Orders/placeOrderV2: added" in out, out
    (repo / "shop" / "orders.py").write_text(named.replace("async def place(", "async def place_order("))
    code, out, _ = run(capsys, "--base", "HEAD", "-v")
    assert code == 0 and "Orders/placeOrder: compatible" in out, out


BOM = b"\xef\xbb\xbf"
LATIN1 = b"# -*- coding: latin-1 -*-\n"


@pytest.mark.parametrize("prefix,encoding", [(BOM, "utf-8"), (LATIN1, "latin-1")], ids=["utf-8 BOM", "latin-1 cookie"])
def test_every_side_decodes_as_rea_check_does(repo, capsys, tmp_path, prefix, encoding):
    """A BOM or a coding cookie is read on every side (a revision, the work tree, a directory),
    as `rea check` reads it: the break is found and its names are the source's. (A side read as
    plain UTF-8 failed to parse a BOM file: no handler compared, exit 0, the break missed.)"""
    old = prefix + V1.replace('"reserve"', '"réserve"').encode(encoding)
    new = prefix + V1.replace('"reserve"', '"réservé"').encode(encoding)
    (repo / "shop" / "orders.py").write_bytes(old)
    git(repo, "commit", "-qam", "encoded")
    (repo / "shop" / "orders.py").write_bytes(new)
    for name, text in (("old", old), ("new", new)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "orders.py").write_bytes(text)
    sides = (["--base", "HEAD"], ["--base", str(tmp_path / "old"), "--head", str(tmp_path / "new")],
             ["--base", "HEAD~1", "--head", "HEAD"])
    for argv in sides:
        if argv[1] == "HEAD~1":
            git(repo, "commit", "-qam", "renamed")
        code, out, _ = run(capsys, *argv)
        assert code == 1, out
        assert "cannot parse" not in out and "Orders/place: breaks in-flight invocations" in out
        assert "name 'réserve' != 'réservé'" in out


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes on this platform")
def test_a_fifo_in_a_directory_is_named_not_waited_on(tmp_path, capsys, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "orders.py").write_text(V1)
    os.mkfifo(tmp_path / "new" / "pipe.py")  # opening it for reading would block until a writer came
    code, out, _ = run(capsys, "--base", "old", "--head", "new")  # a file that cannot be read: not compared (exit 1)
    assert code == 1 and out.splitlines()[0] == "new: pipe.py: cannot read: a FIFO (named pipe), not a regular file"
    assert "2 compatible; 1 file could not be compared" in out


def test_a_shallow_clone_is_named_with_the_fix(repo, capsys, tmp_path, monkeypatch):
    """CI's shallow clone (`actions/checkout` fetches one commit): the merge base with main was
    not fetched, and `HEAD~1` is beyond the history. Both say so, and how to fetch it (it was "no
    default branch found" with origin/main right there, and "no commit has that name")."""
    (repo / "shop" / "orders.py").write_text(V2_COMPATIBLE)
    git(repo, "commit", "-qam", "main moves on")
    git(repo, "checkout", "-qb", "feature", "HEAD~1")
    for n in range(2):
        (repo / "shop" / "orders.py").write_text(V2_BREAKING + f"# {n}\n")
        git(repo, "commit", "-qam", f"feature {n}")
    git(repo, "checkout", "-q", "main")  # the remote's default branch
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", repo.as_uri(), str(clone))
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    monkeypatch.chdir(clone)
    code, _, err = run(capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("rea: error: HEAD and origin/main have no common commit in this shallow clone (their merge base was not fetched): ")
    assert "`git fetch --unshallow`" in err and "`fetch-depth: 0` in actions/checkout" in err and "--base REV" in err
    code, _, err = run(capsys, "--base", "HEAD~1")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("rea: error: unknown revision 'HEAD~1': no commit of this repository has that name, and it is a shallow clone")
    assert "`git fetch --unshallow`" in err
    code, out, _ = run(capsys, "--base", "origin/main")  # a base that was fetched compares
    assert code == 1 and "Orders/place: breaks in-flight invocations" in out


def test_no_commit_yet(tmp_path, capsys, monkeypatch):
    git(tmp_path, "init", "-q", "-b", "main")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys)
    assert code == 2 and err.startswith("rea: error: HEAD names no commit (the repository has none yet): commit first")


def test_unrelated_histories(repo, capsys):
    git(repo, "checkout", "-q", "--orphan", "other")
    git(repo, "commit", "-qm", "a new root")
    code, _, err = run(capsys)
    assert code == 2 and err == "rea: error: HEAD and main have no common commit (unrelated histories): pass --base REV\n"


WRAPPED = V1.replace("import restate\n", "from shop import rs\n").replace("restate.", "rs.")
WRAPPED_BREAKING = V2_BREAKING.replace("import restate\n", "from shop import rs\n").replace("restate.", "rs.")


def test_the_projects_own_restate_module_counts(tmp_path, capsys, monkeypatch):
    """Services made through the project's wrapper of the SDK (`[tool.rea] restate-modules`) are
    compared: read without the setting, there was no handler on either side, and exit 0."""
    monkeypatch.chdir(tmp_path)
    for name, text in (("old", WRAPPED), ("new", WRAPPED_BREAKING)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "orders.py").write_text(text)
        (tmp_path / name / "pyproject.toml").write_text('[tool.rea]\nrestate-modules = ["shop.rs"]\n')
    code, out, _ = run(capsys, "--base", "old", "--head", "new")
    assert code == 1 and "orders.py:8: Orders/place: breaks in-flight invocations" in out
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.rea]\nrestate-modules = "shop.rs"\n')
    code, _, err = run(capsys, "--base", "old", "--head", "new")
    assert code == 2 and "restate-modules: expected a list of strings" in err


def test_the_projects_own_restate_module_counts_in_git(repo, capsys):
    (repo / "pyproject.toml").write_text('[tool.rea]\nrestate-modules = ["shop.rs"]\n')
    (repo / "shop" / "orders.py").write_text(WRAPPED)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "wrapped")
    (repo / "shop" / "orders.py").write_text(WRAPPED_BREAKING)
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1 and "Orders/place: breaks in-flight invocations" in out
    code, out, _ = run(capsys, "--base", "HEAD", "shop/orders.py")
    assert code == 1 and "Orders/place: breaks in-flight invocations" in out


WEATHER = textwrap.dedent(
    """\
    from datetime import timedelta

    import restate
    from restate.ext.pydantic import restate_context

    svc = restate.Service("Weather")


    @svc.handler()
    async def forecast(ctx: restate.Context, city: str) -> str:
        await restate_context().run_typed("geocode", lambda: city)
        await ctx.sleep(timedelta(minutes=5))
        bookings = []
        bookings.append(lambda: ctx.run_typed("cancel", lambda: city))
        return "ok"
    """
)


def test_a_run_through_the_accessor_breaks_and_a_changed_kept_lambda_is_unknown(tmp_path, capsys, monkeypatch):
    """The sweep's `restate_context_accessor_invisible` and `saga_compensation_lambdas_invisible`,
    end to end: both were `compatible`, exit 0."""
    monkeypatch.chdir(tmp_path)
    for name, text in (("old", WEATHER), ("new", WEATHER.replace('"geocode"', '"lookup city"'))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(text)
    code, out, _ = run(capsys, "--base", "old", "--head", "new")
    assert code == 1 and "Weather/forecast: breaks in-flight invocations" in out and "'lookup city'" in out, out
    (tmp_path / "new" / "app.py").write_text(WEATHER.replace('"cancel"', '"release"'))
    code, out, _ = run(capsys, "--base", "old", "--head", "new", "--fail-on-unknown")
    assert code == 1 and "Weather/forecast: unknown" in out and "kept to be called later" in out, out


GEN = V1.replace('"Orders"', '"Generated"')


def test_exclude_leaves_files_out_of_both_sides_as_rea_check_does(repo, capsys):
    """`[tool.rea] exclude` is `rea check`'s list of what is not the project's code: `rea diff` read
    it anyway, so a regenerated (or broken) file there failed the run."""
    (repo / "pyproject.toml").write_text('[tool.rea]\nexclude = ["gen"]\n')
    (repo / "gen").mkdir()
    (repo / "gen" / "orders.py").write_text(GEN)
    (repo / "gen" / "old.py").write_text(GEN.replace('"Generated"', '"Retired"'))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "generated code")
    (repo / "gen" / "orders.py").write_text(V2_BREAKING.replace('"Orders"', '"Generated"'))
    (repo / "gen" / "old.py").unlink()  # (read, its handlers were `removed`)
    (repo / "gen" / "broken.py").write_bytes(b"def (\xe9")  # (read, it could not be compared)
    (repo / "shop" / "orders.py").write_text(V2_COMPATIBLE)
    code, out, err = run(capsys, "--base", "HEAD")
    assert code == 0 and "2 handlers compared: 2 compatible." in out and "Generated" not in out and "gen/" not in out, out
    assert err == ""
    code, out, _ = run(capsys, "--base", "HEAD", "--format", "json")
    assert code == 0 and {h["service"] for h in json.loads(out)["handlers"]} == {"Orders"}
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "regenerated")
    code, out, _ = run(capsys, "--base", "HEAD~1", "--head", "HEAD")  # two revisions: the same files left out
    assert code == 0 and "2 handlers compared: 2 compatible." in out, out


def test_an_excluded_file_named_is_left_out_and_said_so(repo, capsys):
    """A file named on the command line that `exclude` matches: `rea check` leaves it out and warns
    that nothing is left; `rea diff` does the same, rather than `none found` alone."""
    (repo / "pyproject.toml").write_text('[tool.rea]\nexclude = ["shop/orders.py"]\n')
    (repo / "shop" / "orders.py").write_text(V2_BREAKING)
    assert main(["check", "--no-cache", "shop/orders.py"]) == 0
    assert "no Python files to check" in capsys.readouterr().err
    code, out, err = run(capsys, "--base", "HEAD", "shop/orders.py")
    assert code == 0 and "0 handlers compared: none found." in out, out
    assert err == (f"warning: no Python files to compare: [tool.rea] exclude in {repo / 'pyproject.toml'} leaves out the "
                   "only Python file under the paths given, as `rea check` does; name files it does not exclude, or "
                   "narrow `exclude`\n")
    code, out, err = run(capsys, "--base", "HEAD", "shop")  # (shop/__init__.py is left)
    assert code == 0 and err == "" and "0 handlers compared: none found." in out


def test_exclude_in_two_directories_follows_the_head(tmp_path, capsys, monkeypatch):
    """Between two directories the head's configuration says what is left out, on both sides: the
    base's copy of an excluded file is not read either (its handlers were `removed`, exit 1)."""
    monkeypatch.chdir(tmp_path)
    for name in ("old", "new"):
        (tmp_path / name / "gen").mkdir(parents=True)
        (tmp_path / name / "orders.py").write_text(V1)
    (tmp_path / "old" / "gen" / "client.py").write_text(GEN)  # gone from new/
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.rea]\nexclude = ["gen/*.py"]\n')
    code, out, err = run(capsys, "--base", "old", "--head", "new")
    assert code == 0 and "2 handlers compared: 2 compatible." in out and "Generated" not in out, out + err
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.rea]\nexclude = ["client.py"]\n')  # a glob matches a tail
    code, out, _ = run(capsys, "--base", "old", "--head", "new")
    assert code == 0 and "Generated" not in out, out
    (tmp_path / "new" / "pyproject.toml").write_text("[tool.rea]\n")
    code, out, _ = run(capsys, "--base", "old", "--head", "new")
    assert code == 1 and "Generated/place: removed" in out, out


def test_exclude_applies_under_its_own_pyproject_only(repo, capsys, monkeypatch):
    """The configuration read (here the current directory's) excludes only below its pyproject.toml:
    `rea check` reads another one for a file elsewhere, so the repository's `gen/` is not this
    project's `gen`."""
    (repo / "billing").mkdir()
    (repo / "billing" / "pyproject.toml").write_text('[tool.rea]\nexclude = ["gen"]\n')
    (repo / "gen").mkdir()
    (repo / "gen" / "orders.py").write_text(GEN)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "gen")
    (repo / "gen" / "orders.py").write_text(V2_BREAKING.replace('"Orders"', '"Generated"'))
    monkeypatch.chdir(repo / "billing")
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1 and "Generated/place: breaks in-flight invocations" in out, out


def test_a_subprojects_exclude_counts_as_rea_check_counts_it(repo, capsys, monkeypatch):
    """A monorepo: `rea check` reads the nearest pyproject.toml above each file, so a subproject's
    `exclude` leaves out its generated code from the root too. `rea diff` read the one
    configuration of the directory it ran from, and called that code's change `breaking`."""
    (repo / "billing" / "gen").mkdir(parents=True)
    (repo / "billing" / "pyproject.toml").write_text('[tool.rea]\nexclude = ["gen"]\n')
    (repo / "billing" / "gen" / "orders.py").write_text(GEN)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "billing")
    (repo / "billing" / "gen" / "orders.py").write_text(V2_BREAKING.replace('"Orders"', '"Generated"'))
    assert main(["check", "--no-cache", "billing"]) == 0  # rea check leaves it out, from the root
    assert "no Python files to check" in capsys.readouterr().err
    code, out, err = run(capsys, "--base", "HEAD")
    assert code == 0 and "Generated" not in out and err == "", out + err
    code, out, err = run(capsys, "--base", "HEAD", "billing")
    assert code == 0 and "0 handlers compared: none found." in out, out
    assert err == (f"warning: no Python files to compare: [tool.rea] exclude in {repo / 'billing' / 'pyproject.toml'} "
                   "leaves out the only Python file under the paths given, as `rea check` does; name files it does not "
                   "exclude, or narrow `exclude`\n")
    (repo / "billing" / "pyproject.toml").write_text("[tool.rea]\n")
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1 and "Generated/place: breaks in-flight invocations" in out, out
