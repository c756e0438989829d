"""`project.ModuleNames` (a run's memoised module names) answers exactly what `module_name`
and `package_of` answer for each file alone: over this repository's Python files and a tree
built to be awkward (symlinked files and directories, `..`, dotted stems, `__init__`)."""

from __future__ import annotations

import os
from pathlib import Path

from rea_lint.project import ModuleNames, module_name, package_of
from rea_lint.runner import _Where, one_run
from tests.conftest import REPO


def _alone(path: str) -> tuple[str, str]:
    module = module_name(path)
    return module, package_of(module, path)


def _awkward_tree(root: Path) -> list[str]:
    pkg = root / "pkg" / "sub"
    pkg.mkdir(parents=True)
    for d in (root / "pkg", pkg):
        (d / "__init__.py").write_text("")
    (root / "plain").mkdir()
    files = [pkg / "mod.py", pkg / "a.b.py", pkg / "name.", pkg / ".hidden", root / "pkg" / "top.py", root / "plain" / "x.py", root / "loose.py"]
    for f in files:
        f.write_text("x = 1\n")
    (root / "plain" / "linked.py").symlink_to(pkg / "mod.py")  # a symlinked file: its target's package
    (root / "plain" / "linked_init.py").symlink_to(pkg / "__init__.py")
    (root / "alias").symlink_to(pkg, target_is_directory=True)  # a symlinked directory
    (root / "plain" / "missing.py").symlink_to(root / "nowhere.py")  # dangling
    paths = [str(f) for f in files]
    paths += [str(pkg / "__init__.py"), str(root / "pkg" / "__init__.py")]
    paths += [str(root / "plain" / n) for n in ("linked.py", "linked_init.py", "missing.py")]
    paths += [str(root / "alias" / "mod.py"), str(root / "alias" / "__init__.py"), str(root / "plain" / ".." / "pkg" / "sub" / "mod.py")]
    paths += [str(root / "alias" / ".." / "top.py"), str(root / "pkg" / "sub" / "absent.py"), "/", str(root) + "/"]
    return paths


def test_memoised_names_equal_the_names_of_each_file_alone(tmp_path, monkeypatch):
    repo = [str(p) for d in ("rea_lint", "fixtures", "examples", "tests", "benchmarks") for p in sorted((REPO / d).rglob("*.py"))]
    awkward = _awkward_tree(tmp_path)
    monkeypatch.chdir(tmp_path / "pkg" / "sub")
    relative = ["mod.py", "__init__.py", "./a.b.py", "../top.py", "../../loose.py", "../../plain/linked.py", "x"]
    names = ModuleNames()
    compared = 0
    for path in [*repo, *awkward, *relative, *repo]:  # twice: the second answers come from the memo
        assert names.of(path) == _alone(path), path
        compared += 1
    assert compared == 2 * len(repo) + len(awkward) + len(relative) and len(repo) > 300
    assert names.of(str(tmp_path / "plain" / "linked.py")) == ("pkg.sub.mod", "pkg.sub")  # (the case is real)
    assert names.of(str(tmp_path / "pkg" / "sub" / "a.b.py")) == ("pkg.sub.a.b", "pkg.sub.a")


def test_a_run_sees_its_tree_and_the_next_run_sees_changes(tmp_path):
    (tmp_path / "pkg").mkdir()
    path = str(tmp_path / "pkg" / "m.py")
    Path(path).write_text("x = 1\n")
    with one_run():
        assert _Where(path, True).module == "m"
        (tmp_path / "pkg" / "__init__.py").write_text("")
        assert _Where(path, True).module == "m"  # one run: its directories are taken as they were
    with one_run():
        assert (_Where(path, True).module, _Where(path, True).package) == ("pkg.m", "pkg")
    os.remove(tmp_path / "pkg" / "__init__.py")
    assert _Where(path, True).module == "m"  # outside a run: each file alone


def test_configs_memoised_per_directory_equal_each_files_own(tmp_path):
    """`rea check` looks a configuration up once per directory for regular files: each file
    still gets what `load_config` gives it alone (a symlink: its target's directory decides)."""
    import argparse

    from rea_lint.cli import _configs
    from rea_lint.config import forget, load_config

    awkward = _awkward_tree(tmp_path)
    (tmp_path / "pkg" / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\n')
    (tmp_path / "plain" / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA102"]\n')
    forget()
    config_for = _configs(argparse.Namespace(config=None, select=None, extend_select=None, ignore=None, disable_noqa=False))
    compared = 0
    for path in [*awkward, *awkward]:
        assert config_for(Path(path)) == load_config(path), path
        compared += 1
    assert compared == 2 * len(awkward)
    assert config_for(tmp_path / "plain" / "linked.py").ignore == ("REA101",)  # its target's config
    assert config_for(tmp_path / "plain" / "x.py").ignore == ("REA102",)


def test_one_per_directory_lookup_serves_the_cli_and_the_plugin(tmp_path, monkeypatch):
    """`config.config_for_file` (the CLI's and the flake8 plugin's lookup) gives every path what
    `load_config` gives it alone, relative paths too, and remembers only the directories of
    regular files that are not symlinks (a symlink is decided by its target's directory)."""
    import ast

    from rea_lint.config import config_for_file, forget, load_config
    from rea_lint.flake8_plugin import ReaChecker

    awkward = _awkward_tree(tmp_path)
    (tmp_path / "pkg" / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\n')
    (tmp_path / "plain" / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA102"]\n')
    monkeypatch.chdir(tmp_path / "pkg")
    relative = ["sub/mod.py", "./top.py", "../plain/x.py", "../plain/linked.py", "../alias/mod.py"]
    forget()
    cache: dict = {}
    ReaChecker._configs.clear()
    compared = 0
    for path in [*awkward, *relative, *awkward, *relative]:  # twice: the second answers come from the cache
        alone = load_config(path)
        assert config_for_file(path, cache) == alone, path
        assert ReaChecker(ast.parse(""), path)._config() == alone, path
        compared += 1
    assert compared == 2 * (len(awkward) + len(relative))
    assert config_for_file(str(tmp_path / "plain" / "linked.py"), cache).ignore == ("REA101",)  # its target's
    assert config_for_file("../plain/x.py", cache).ignore == ("REA102",)
    regular = {os.path.realpath(os.path.dirname(p)) for p in [*awkward, *relative] if os.path.isfile(p) and not os.path.islink(p)}
    assert {os.path.realpath(d) for d in cache} == {os.path.realpath(d) for d in ReaChecker._configs} == regular
    assert len(regular) == 4 and len(cache) == len(ReaChecker._configs) > 4  # (`alias/..` is its own key)
