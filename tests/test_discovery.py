"""The gitignore matcher and the walk (without pathspec, so the base install stays small)."""

from __future__ import annotations

import subprocess

import pytest

from rea_lint.discovery import GitIgnore, discover


@pytest.mark.parametrize(
    "pattern, path, is_dir, ignored",
    [
        ("*.py", "a.py", False, True),
        ("*.py", "x/y/a.py", False, True),
        ("build/", "build", True, True),
        ("build/", "build", False, False),
        ("build/", "src/build", True, True),
        ("/build", "build", True, True),
        ("/build", "src/build", True, False),
        ("src/gen", "src/gen", True, True),
        ("src/gen", "x/src/gen", True, False),
        ("**/gen", "x/y/gen", True, True),
        ("gen/**", "gen/a.py", False, True),
        ("a/**/b", "a/b", True, True),
        ("a/**/b", "a/x/y/b", True, True),
        ("a?c.py", "abc.py", False, True),
        ("a?c.py", "a/c.py", False, False),
        ("[ab].py", "b.py", False, True),
        ("[!ab].py", "b.py", False, False),
        ("\\#x.py", "#x.py", False, True),
        ("# comment", "# comment", False, False),
        ("trailing.py   ", "trailing.py", False, True),
    ],
)
def test_patterns(tmp_path, pattern, path, is_dir, ignored):
    (tmp_path / ".gitignore").write_text(pattern + "\n")
    gi = GitIgnore().with_file(tmp_path / ".gitignore")
    assert gi.ignored(f"{tmp_path.resolve().as_posix()}/{path}", is_dir) is ignored


def test_negation_last_match_wins(tmp_path):
    (tmp_path / ".gitignore").write_text("*.py\n!keep.py\n")
    gi = GitIgnore().with_file(tmp_path / ".gitignore")
    base = tmp_path.resolve().as_posix()
    assert gi.ignored(f"{base}/drop.py", False)
    assert not gi.ignored(f"{base}/keep.py", False)


def test_agrees_with_git(tmp_path):
    """The walk keeps exactly the .py files `git ls-files --others --exclude-standard` keeps."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    files = ["a.py", "gen/b.py", "src/c.py", "src/tmp/d.py", "src/keep.py", "src/x.py", "deep/er/e.py", "logs/f.py"]
    for rel in files:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text("gen/\n/logs\n**/er\n")
    (tmp_path / "src" / ".gitignore").write_text("*.py\n!keep.py\n!c.py\ntmp/\n")
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("a.py\n")
    git = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split()
    ours, problems = discover([tmp_path])
    assert not problems
    rels = sorted(p.relative_to(tmp_path).as_posix() for p in ours)
    assert rels == sorted(f for f in git if f.endswith(".py"))


def test_walk_root_inside_a_repository_uses_parent_gitignores(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated_*.py\n")
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "generated_x.py").write_text("")
    (sub / "real.py").write_text("")
    found, _ = discover([sub])
    assert [p.name for p in found] == ["real.py"]
