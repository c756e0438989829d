"""`rea diff` where a side cannot parse a file: its handlers are unknown, never `removed`
or `added`, and the run does not pass (exit 1, as `rea check` for a file it could not check).

A file that does not parse hides which handlers it defines and what they journal. Read as
empty, a broken work tree file made its handlers `removed`, and a broken base file made them
`added` with exit 0: a "safe" that rea could not know."""

from __future__ import annotations

import json

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
    assert lines[-1].endswith("2 handlers compared: 2 unknown; 1 file could not be compared (a side cannot parse it: its handlers are unknown).")
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
    code, out, _ = run(capsys, "--base", "HEAD", "--format", "github")
    kinds = [line.split(" ", 1)[0] for line in out.splitlines()]
    assert code == 1 and kinds == ["::warning", "::notice", "::notice"], out
