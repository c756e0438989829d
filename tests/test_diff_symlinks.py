"""`rea diff` and symbolic links: a link is followed within its side, the same way on each.

git stores a link as a blob that holds its target path. A revision's `shop/linked.py ->
../common/impl.py` was read as the text `../common/impl.py`: its handlers came out `added`
(exit 0) against the work tree, which follows the link, and a break behind the link went
unseen at the base. A link is now followed in the revision's tree as the work tree follows it
in the repository; one that leads out of it, to nothing or round in a loop is refused with
its reason on every side, never read as source text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rea_lint.cli import main
from tests.test_diff_cli import V1, git, repo  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symbolic links as POSIX has them")

IMPL = V1.replace('"Orders"', '"Linked"')
RENAMED = IMPL.replace('"charge"', '"charge-v2"')
OUTSIDE = ("which leads outside the repository (a git revision holds no file there, so rea diff follows links only "
           "within a side); put the file itself there to compare it")


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["diff", *argv])
    return code, capsys.readouterr().out


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def verdicts(capsys, *argv: str) -> tuple[int, dict[str, str], dict]:
    code, out = run(capsys, "--format", "json", *argv)
    doc = json.loads(out)
    return code, {f"{(h['new'] or h['old'])['path']}:{h['service']}/{h['handler']}": h["verdict"] for h in doc["handlers"]}, doc


@pytest.fixture
def linked(repo: Path) -> Path:  # noqa: F811
    """`common/impl.py` (service Linked), and links to it: beside it, through a linked
    directory, and through another link."""
    (repo / "common").mkdir()
    (repo / "common" / "impl.py").write_text(IMPL)
    (repo / "app").mkdir()
    (repo / "app" / "linked.py").symlink_to("../common/impl.py")
    (repo / "lib").symlink_to("common")
    (repo / "app" / "via_dir.py").symlink_to("../lib/impl.py")
    (repo / "app" / "chained.py").symlink_to("linked.py")
    commit(repo, "links")
    return repo


def test_a_link_in_a_revision_reads_the_file_it_names(linked: Path, capsys) -> None:
    paths = ["app/chained.py", "app/linked.py", "app/via_dir.py", "common/impl.py"]
    for argv in (["--base", "HEAD"], ["--base", "HEAD", "--head", "HEAD"]):
        code, found, doc = verdicts(capsys, *argv)
        assert code == 0 and doc["not_compared"] == [] and doc["problems"] == [], doc
        assert {k: v for k, v in found.items() if k.startswith(("app/", "common/"))} == {
            f"{p}:Linked/{h}": "compatible" for p in paths for h in ("place", "status")}  # (was: app/* `added`)
    (linked / "app" / "new.py").symlink_to("../common/impl.py")  # new in the work tree: as a copy would be
    code, found, _ = verdicts(capsys, "--base", "HEAD")
    assert code == 0 and found["app/new.py:Linked/place"] == "added" and found["app/linked.py:Linked/place"] == "compatible"
    (linked / "app" / "new.py").unlink()
    (linked / "common" / "impl.py").write_text(RENAMED)  # a break behind the links: seen through each
    code, found, _ = verdicts(capsys, "--base", "HEAD")
    assert code == 1 and [k for k, v in found.items() if v == "breaking"] == [f"{p}:Linked/place" for p in paths]
    commit(linked, "renamed")
    code, found, _ = verdicts(capsys, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and [k for k, v in found.items() if v == "breaking"] == [f"{p}:Linked/place" for p in paths]


def test_a_link_to_no_file_of_the_repository_is_named_on_each_side(repo: Path, capsys) -> None:  # noqa: F811
    shop = repo / "shop"
    (shop / "absolute.py").symlink_to("/etc/passwd")
    (shop / "up.py").symlink_to("../../elsewhere.py")
    (shop / "dangling.py").symlink_to("nowhere.py")
    (shop / "loop.py").symlink_to("loop.py")
    (shop / "file_as_dir.py").symlink_to("orders.py/x")
    commit(repo, "links to no file")
    reasons = {
        "absolute.py": f"a symbolic link to /etc/passwd, {OUTSIDE}",
        "dangling.py": "a symbolic link to nowhere.py, which does not exist",
        "file_as_dir.py": "a symbolic link to orders.py/x, which does not exist",
        "loop.py": "a symbolic link to loop.py, which never reaches a file (more than 40 links, a loop); point it at the file",
        "up.py": f"a symbolic link to ../../elsewhere.py, {OUTSIDE}",
    }
    for head in ("HEAD", None):
        label = "the work tree" if head is None else "HEAD"
        code, out = run(capsys, "--base", "HEAD", *(["--head", head] if head else []))
        lines = out.splitlines()
        assert lines[:10] == [f"HEAD: shop/{p}: cannot read: {why}" for p, why in reasons.items()] + [
            f"{label}: shop/{p}: cannot read: {why}" for p, why in reasons.items()], out
        assert code == 0 and "could not be compared" not in out  # unchanged links: listed, not compared
        assert "cannot parse" not in out and "added" not in out
    (shop / "dangling.py").unlink()
    (shop / "dangling.py").symlink_to("still-nowhere.py")  # changed: the change touches what it holds
    code, out = run(capsys, "--base", "HEAD")
    assert code == 1 and "1 file could not be compared" in out


def test_directory_sides_follow_links_within_themselves(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "common_file.py").write_text(IMPL)
    for side, text in (("old", IMPL), ("new", RENAMED)):
        (tmp_path / side / "common").mkdir(parents=True)
        (tmp_path / side / "common" / "impl.py").write_text(text)
        (tmp_path / side / "linked.py").symlink_to("common/impl.py")
        (tmp_path / side / "out.py").symlink_to("../common_file.py")  # read on neither side: it lies outside both
    code, out = run(capsys, "--base", "old", "--head", "new")
    assert code == 1, out
    assert "old: out.py: cannot read: a symbolic link to ../common_file.py, which leads outside the directory old" in out
    assert "new: out.py: cannot read: a symbolic link to ../common_file.py, which leads outside the directory new" in out
    assert "linked.py:8: Linked/place: breaks in-flight invocations" in out
