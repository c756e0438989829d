"""`rea diff PATHS`: every spelling and overlap of PATHS selects the same files on both sides.

A revision is listed with `git ls-tree`, the work tree with `git ls-files`: when the two were
given different pathspecs (`.` dropped from ls-tree's whenever another path came with it), the
base side read fewer files, every other handler came out `added`, and a break was reported as
safe (exit 0). Here each combination is checked against the plain `rea diff .`."""

from __future__ import annotations

import itertools
import json
import os
import textwrap
from pathlib import Path

import pytest

from rea_lint.cli import main
from tests.test_diff_cli import git

HANDLER = textwrap.dedent(
    """\
    import restate

    svc = restate.Service("{name}")


    @svc.handler()
    async def place(ctx: restate.Context, sku: str) -> str:
        await ctx.run("reserve", lambda: sku)
        await ctx.run("charge", lambda: sku)
        return "ok"
    """
)
FILES = {
    "orders.py": "Orders",
    "lat.py": "Lat",
    "sub dir/svc.py": "Sub",
    "sub dir/deep/inner.py": "Deep",
    "other/x.py": "Other",
}
BROKEN = ("orders.py", "sub dir/deep/inner.py")
"""The files whose run `charge` is renamed: their handlers break in-flight invocations."""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    r = tmp_path / "shop"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    git(r, "config", "user.email", "t@example.com")
    git(r, "config", "user.name", "t")
    for path, name in FILES.items():
        (r / path).parent.mkdir(parents=True, exist_ok=True)
        (r / path).write_text(HANDLER.format(name=name))
    git(r, "add", ".")
    git(r, "commit", "-qm", "v1")
    for path in BROKEN:
        (r / path).write_text(HANDLER.format(name=FILES[path]).replace('"charge"', '"charge-v2"'))
    return r


def verdicts(capsys, *argv: str) -> tuple[int, set[tuple[str, str, str]]]:
    code = main(["diff", "--format", "json", *argv])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    doc = json.loads(out)
    return code, {(h["service"], h["verdict"], (h["new"] or h["old"])["path"]) for h in doc["handlers"]}


def covered(root: Path, cwd: Path, paths: tuple[str, ...]) -> set[str]:
    """The files of FILES that ``paths``, given from ``cwd``, name: worked out apart from rea."""
    out = set()
    for p in paths:
        rel = Path(os.path.relpath(os.path.abspath(cwd / p), root)).as_posix()
        out |= {f for f in FILES if rel == "." or f == rel or f.startswith(rel + "/")}
    return out


SPELLINGS = {
    "": (".", "./", "{root}", "lat.py", "./orders.py", "sub dir", "sub dir/", "sub dir/deep/inner.py", "{root}/sub dir"),
    "sub dir": (".", "..", "../", "deep", "deep/", "svc.py", "../orders.py", "{root}"),
}
"""Per working directory (relative to the repository): spellings of the root, of a directory,
and of a file in it, relative, absolute and with a trailing slash; pairs of them overlap."""


@pytest.mark.parametrize("committed", [False, True], ids=["work tree", "two commits"])
def test_overlapping_paths_select_the_same_files_on_both_sides(shop, capsys, monkeypatch, committed):
    if committed:
        git(shop, "commit", "-qam", "v2")
    sides = ["--base", "HEAD~1", "--head", "HEAD"] if committed else ["--base", "HEAD"]
    monkeypatch.chdir(shop)
    code, everything = verdicts(capsys, *sides, ".")
    assert code == 1
    assert everything == {(name, "breaking" if f in BROKEN else "compatible", f) for f, name in FILES.items()}
    checked = 0
    for where, spellings in SPELLINGS.items():
        cwd = shop / where
        monkeypatch.chdir(cwd)
        for pair in itertools.product(spellings, repeat=2):  # the same path twice, and both orders
            paths = tuple(p.format(root=shop) for p in pair)
            files = covered(shop, cwd, paths)
            expected = {v for v in everything if v[2] in files}
            code, got = verdicts(capsys, *sides, *paths)
            assert got == expected, (where, paths)
            assert code == (1 if files & set(BROKEN) else 0), (where, paths)
            checked += 1
    assert checked == 9 * 9 + 8 * 8


def test_a_path_deleted_since_the_base_is_compared_there(shop, capsys, monkeypatch):
    """A PATH names the repository's file on any side: deleted at the head it is the base's,
    and its handlers are `removed` (it was "no such file or directory", exit 2)."""
    monkeypatch.chdir(shop)
    git(shop, "checkout", "-q", "--", ".")
    git(shop, "rm", "-q", "lat.py")
    git(shop, "commit", "-qm", "lat.py removed")
    for sides in (["--base", "HEAD~1", "--head", "HEAD"], ["--base", "HEAD~1"]):
        code, got = verdicts(capsys, *sides, "lat.py")
        assert code == 1 and got == {("Lat", "removed", "lat.py")}, sides


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--base", "HEAD", "nothere.py"], "nothere.py: no such file or directory, in the work tree or at HEAD"),
        (["--base", "HEAD~1", "--head", "HEAD", "nothere.py"], "nothere.py: no such file or directory at HEAD~1 or HEAD, nor in the work tree"),
        (["--base", "HEAD~1", "--head", "HEAD", "new.py"], "new.py: not at HEAD~1 nor at HEAD; it is only in the work tree "
                                                           "(leave out --head to compare the work tree)"),
    ],
)
def test_a_path_on_no_side_says_where_it_was_looked_for(shop, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(shop)
    git(shop, "commit", "-qam", "v2")
    (shop / "new.py").write_text("x = 1\n")
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err == f"rea: error: {message}\n"
