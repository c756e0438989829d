"""`rea diff` where a side cannot parse, decode or read a file: its handlers are unknown,
never `removed` or `added`, and the run does not pass (exit 1, as `rea check` for a file it
could not check).

A file that does not parse hides which handlers it defines and what they journal. Read as
empty, a broken work tree file made its handlers `removed`, and a broken base file made them
`added` with exit 0: a "safe" that rea could not know. Bytes that are not in the file's
encoding were read with replacement characters, so diff compared a file `rea check` rejects;
and a FIFO in the work tree, which git does not list, was passed over without a word."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rea_lint.cli import main
from tests.test_diff_cli import V1, V2_BREAKING, git, repo  # noqa: F401 (the fixture)

BROKEN = V1.replace('await ctx.run("reserve", lambda: sku)', 'await ctx.run("reserve", lambda: sku')
ORDERS = "shop/orders.py"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def handlers(capsys, *argv: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, "--format", "json", *argv)
    doc = json.loads(out)
    return code, doc


def test_a_work_tree_file_that_does_not_parse(repo, capsys):  # noqa: F811
    (repo / ORDERS).write_text(BROKEN)
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1, out
    lines = out.splitlines()
    assert lines[0] == "the work tree: shop/orders.py:9: cannot parse: '(' was never closed"
    assert "removed" not in out  # neither the handlers nor their service are known to be gone
    assert lines[1].startswith("shop/orders.py:8: Orders/place: unknown: shop/orders.py cannot be parsed in the work tree: "
                               "rea cannot tell whether the new code defines Orders/place there, or what it journals; fix the file")
    assert lines[-1].endswith("2 handlers compared: 2 unknown; 1 file could not be compared (a side cannot read or parse it: its handlers are unknown).")
    code, doc = handlers(capsys, "--base", "HEAD")
    assert code == 1 and doc["not_compared"] == [ORDERS] and doc["services_removed"] == []
    assert {h["handler"]: h["verdict"] for h in doc["handlers"]} == {"place": "unknown", "status": "unknown"}
    code, _, _ = run(capsys, "--base", "HEAD", "--exit-zero")
    assert code == 0


def test_a_base_file_that_does_not_parse(repo, capsys):  # noqa: F811
    (repo / ORDERS).write_text(BROKEN)
    git(repo, "commit", "-qam", "broken")
    (repo / ORDERS).write_text(V2_BREAKING)
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1, out  # it was `added`, exit 0
    assert "Orders/place: unknown: shop/orders.py cannot be parsed at HEAD: rea cannot tell whether the old code defined " in out
    assert "added" not in out
    code, out, _ = run(capsys, "--base", "HEAD~1", "--head", "HEAD")  # two revisions: the head's copy
    assert code == 1 and "shop/orders.py cannot be parsed at HEAD: rea cannot tell whether the new code defines" in out


def test_the_same_broken_file_on_both_sides_is_only_listed(repo, capsys):  # noqa: F811
    """The change does not touch it: nothing to tell, on either side."""
    (repo / "shop" / "broken.py").write_text("import restate\nsvc = restate.Service('Broken')\ndef (:\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "broken, and left so")
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 0, out
    assert out.splitlines()[:2] == ["HEAD: shop/broken.py:3: cannot parse: invalid syntax",
                                    "the work tree: shop/broken.py:3: cannot parse: invalid syntax"]
    assert "could not be compared" not in out
    (repo / "shop" / "broken.py").write_text("import restate\nsvc = restate.Service('Broken')\ndef (:\n    pass\n")
    code, out, _ = run(capsys, "--base", "HEAD")  # changed, broken on both sides: no handler known, still not passed
    assert code == 1 and "2 compatible; 1 file could not be compared" in out


def test_a_helper_module_that_does_not_parse(repo, capsys):  # noqa: F811
    """A handler that inlines a helper from a module the new side cannot parse: unknown there,
    and the run does not pass."""
    (repo / "shop" / "steps.py").write_text("async def reserve(ctx, sku):\n    await ctx.run('reserve', lambda: sku)\n")
    (repo / ORDERS).write_text(V1.replace("import restate\n", "import restate\nfrom shop.steps import reserve\n")
                               .replace('await ctx.run("reserve", lambda: sku)', "await reserve(ctx, sku)"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a helper")
    (repo / "shop" / "steps.py").write_text("async def reserve(ctx, sku):\n    await ctx.run('reserve', lambda: sku\n")
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1, out
    assert "the work tree: shop/steps.py:2: cannot parse" in out and "Orders/place: unknown" in out


def test_directories_too(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in (("old", V1), ("new", BROKEN)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "orders.py").write_text(text)
    code, out, _ = run(capsys, "--base", "old", "--head", "new")
    assert code == 1 and "orders.py cannot be parsed at new" in out and "removed" not in out


def test_sarif_and_github_show_the_unknowns(repo, capsys):  # noqa: F811
    (repo / ORDERS).write_text(BROKEN)
    code, out, _ = run(capsys, "--base", "HEAD", "--format", "sarif")
    (sarif,) = json.loads(out)["runs"]
    assert code == 1 and [r["ruleId"] for r in sarif["results"]] == ["unknown", "unknown"]
    assert "cannot be parsed in the work tree" in sarif["results"][0]["message"]["text"]
    assert sarif["invocations"][0]["executionSuccessful"] is False  # as `rea check` for a file it could not check
    code, out, _ = run(capsys, "--base", "HEAD", "--format", "github")
    kinds = [line.split(" ", 1)[0] for line in out.splitlines()]
    assert code == 1 and kinds == ["::warning", "::notice", "::notice"], out


BAD_UTF8 = V1.encode().replace(b"import restate\n", b"import restate  # caf\xe9 (latin-1, undeclared)\n")


def test_bytes_not_in_the_encoding_are_not_read(repo, capsys, monkeypatch):  # noqa: F811
    """As `rea check`, which rejects the file with the same words (`runner.decode`)."""
    (repo / ORDERS).write_bytes(BAD_UTF8)
    git(repo, "commit", "-qam", "latin-1 without a cookie")
    code = main(["check", "--no-cache", ORDERS])
    check_out, _ = capsys.readouterr()
    decode_error = ("1:22: cannot decode: byte b'\\xe9' is not utf-8 (invalid continuation byte); save the file as UTF-8, "
                    "or declare its encoding on line 1 or 2 (# -*- coding: latin-1 -*-)")
    assert code == 1 and f"{ORDERS}:{decode_error}".replace(": cannot", ": error: cannot", 1) in check_out
    code, out, _ = run(capsys, "--base", "HEAD")  # the same bytes on both sides: listed, not compared
    assert code == 0 and out.splitlines()[:2] == [f"HEAD: {ORDERS}:{decode_error}", f"the work tree: {ORDERS}:{decode_error}"]
    assert "0 handlers compared: none found." in out
    (repo / ORDERS).write_bytes(BAD_UTF8.replace(b'"charge"', b'"charge-v2"'))
    code, out, _ = run(capsys, "--base", "HEAD")  # changed: its handlers are unknown (it compared as if fine)
    assert code == 1 and "1 file could not be compared" in out
    (repo / ORDERS).write_text(V1)  # fixed on one side only: the base's copy is still unreadable
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1 and "Orders/place: unknown: shop/orders.py cannot be decoded at HEAD" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_fifo_in_the_work_tree_is_named(repo, capsys):  # noqa: F811
    """git does not list a FIFO; rea names it as `rea check` does (not read: it would block),
    wherever it is: beside listed files, in a directory with nothing git lists, or named as a
    PATH. One in an ignored directory is left out, as git leaves it out."""
    os.mkfifo(repo / "shop" / "pipe.py")
    (repo / "empty" / "er").mkdir(parents=True)
    os.mkfifo(repo / "empty" / "er" / "deep.py")
    (repo / "build").mkdir()
    os.mkfifo(repo / "build" / "ignored.py")
    (repo / ".gitignore").write_text("build/\n")
    fifo = "cannot read: a FIFO (named pipe), not a regular file"
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1, out
    assert out.splitlines()[:2] == [f"the work tree: empty/er/deep.py: {fifo}", f"the work tree: shop/pipe.py: {fifo}"]
    assert "ignored.py" not in out and "2 compatible; 2 files could not be compared" in out
    code, out, _ = run(capsys, "--base", "HEAD", "shop/pipe.py")
    assert code == 1 and out.splitlines()[0] == f"the work tree: shop/pipe.py: {fifo}"
    code, out, _ = run(capsys, "--base", "HEAD", "shop/orders.py")  # not selected: not named
    assert code == 0 and "pipe.py" not in out


@pytest.mark.skipif(not Path("/dev/zero").exists() or not hasattr(os, "mkfifo"), reason="no /dev/zero or named pipes")
def test_a_link_to_a_device_or_a_fifo_is_not_read(repo, capsys):  # noqa: F811
    """A link is followed only within the repository (as a revision's is, test_diff_symlinks); one
    to a FIFO there is named as the FIFO is."""
    (repo / "shop" / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(repo / "pipe")
    (repo / "shop" / "piped.py").symlink_to("../pipe")
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1 and out.splitlines()[:2] == [
        "the work tree: shop/piped.py: cannot read: a FIFO (named pipe), not a regular file",
        "the work tree: shop/zero.py: cannot read: a symbolic link to /dev/zero, which leads outside the repository (a git "
        "revision holds no file there, so rea diff follows links only within a side); put the file itself there to compare it",
    ]


def test_rea_explain_since_a_directory_names_a_file_it_cannot_read(tmp_path):
    """`rea explain --since DIR` reads DIR as a side: an undecodable file is a problem named
    with the fix (its handlers are then unknown), never read with replacement characters."""
    from rea_lint.explain.since import old_shapes

    (tmp_path / "orders.py").write_bytes(BAD_UTF8)
    (tmp_path / "fine.py").write_text("x = 1\n")
    shapes, problems = old_shapes(str(tmp_path), [])
    assert len(problems) == 1 and problems[0].startswith("orders.py:1:22: cannot decode: byte b'\\xe9' is not utf-8")
    assert "save the file as UTF-8" in problems[0]


def test_a_file_over_max_file_size_is_named_on_every_side_never_read(repo, capsys, monkeypatch):  # noqa: F811
    """`[tool.rea] max-file-size` bounds what `rea diff` reads as it bounds `rea check`: a git blob
    by the size git lists (read past it before), a work tree file as `rea check` reads it (with
    the default limit before). The words are `rea check`'s; the same blob on both sides is listed only."""
    (repo / "pyproject.toml").write_text('[tool.rea]\nmax-file-size = "1 KiB"\n')
    big = repo / "shop" / "big.py"
    big.write_text(V1.replace('"Orders"', '"Big"') + "# padding\n" * 200)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a big module")
    main(["check", "--no-cache", "shop/big.py"])
    check_out, _ = capsys.readouterr()
    why = "the file is 2.4 KiB, over the max-file-size of 1 KiB; raise `max-file-size` in [tool.rea] to check it"
    assert f"shop/big.py:1:1: error: skipped: {why}" in check_out
    for head, label in (("HEAD", "HEAD"), (None, "the work tree")):
        code, doc = handlers(capsys, "--base", "HEAD", *(["--head", head] if head else []))
        assert code == 0 and doc["not_compared"] == [], doc  # unchanged: listed, not compared
        assert doc["problems"] == [f"HEAD: shop/big.py: cannot read: {why}", f"{label}: shop/big.py: cannot read: {why}"]
        assert not any(h["service"] == "Big" for h in doc["handlers"])
    big.write_text(big.read_text() + "# more\n")  # changed, and still too big: its handlers cannot be compared
    code, out, _ = run(capsys, "--base", "HEAD")
    assert code == 1 and "the work tree: shop/big.py: cannot read: the file is 2.4 KiB, over" in out
    assert "1 file could not be compared" in out
    git(repo, "commit", "-qam", "bigger")
    code, out, _ = run(capsys, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and "1 file could not be compared" in out
    (repo / "pyproject.toml").write_text('[tool.rea]\nmax-file-size = "lots"\n')  # refused, as rea check refuses it
    code, out, err = run(capsys, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"rea: error: {repo / 'pyproject.toml'}: [tool.rea] max-file-size: expected a positive number")
