"""What every flake8 run pays for rea before any Restate code: the import, the text pre-filter,
finding each directory's configuration. Each must stay cheap without changing an answer."""

from __future__ import annotations

import ast
import errno
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from rea_lint.config import ReaConfig, find_pyproject, forget, load_config
from rea_lint.flake8_plugin import ReaChecker
from rea_lint.prefilter import mentions_restate
from tests.conftest import FIXTURES, REPO


def test_importing_the_plugin_imports_no_engine_and_no_config() -> None:
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import rea_lint.flake8_plugin\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    loaded = set(out.stdout.split())
    assert {"rea_lint.flake8_plugin", "rea_lint.prefilter"} <= loaded
    assert not loaded & {"rea_lint.engine", "rea_lint.config", "rea_lint.model", "rea_lint.catalog", "typing", "ast"}


def test_the_plugin_loads_the_engine_only_for_a_file_naming_restate() -> None:
    probe = (
        "import ast, sys\n"
        "from rea_lint.flake8_plugin import ReaChecker\n"
        "plain = 'import os\\nprint(os.sep)\\n'\n"
        "print(list(ReaChecker(ast.parse(plain), 'plain.py', plain.splitlines(True)).run()), 'rea_lint.engine' in sys.modules)\n"
        "src = open(sys.argv[1]).read()\n"
        "found = list(ReaChecker(ast.parse(src), sys.argv[1], src.splitlines(True)).run())\n"
        "print(len(found), 'rea_lint.engine' in sys.modules)\n"
    )
    fixture = FIXTURES / "rea101_time_in_handler.py"
    out = subprocess.run([sys.executable, "-c", probe, str(fixture)], capture_output=True, text=True, check=True, cwd=REPO)
    first, second = out.stdout.splitlines()
    assert first == "[] False"
    count, loaded = second.split()
    assert int(count) >= 13 and loaded == "True"


LINES = [
    [],
    [""],
    ["\n"],
    ["import os\n"],
    ["import restate\n"],
    ["from rea_runtime import guarded\n"],
    ["x = 1\n", "# restate\n"],
    ["re", "state\n"],  # split across two lines: not a mention
    ["rea_", "runtime"],
    ["import acme\n"],
    ["import acme.svc\n", "y = 2"],
    ["ac\n", "me\n"],
    ["x\r\n", "restate\r\n"],
    ["import rEstate\n"],
]
CONFIGS = [
    ReaConfig(),
    ReaConfig(restate_modules=("acme.svc",)),
    ReaConfig(restate_modules=("",)),  # an empty needle is in every line
    ReaConfig(restate_modules=("ac\nme",)),  # nonsense, but still line by line
]


def _per_line(lines: list[str], config: ReaConfig) -> bool:
    """The definition: some line holds restate, rea_runtime or a wrapper's top-level name."""
    needles = ("restate", "rea_runtime", *(m.split(".", 1)[0] for m in config.restate_modules))
    return any(n in line for line in lines for n in needles)


def test_the_prefilter_answers_as_a_search_line_by_line() -> None:
    cases = list(itertools.product(LINES, CONFIGS))
    for lines, config in cases:
        want = _per_line(lines, config)
        assert mentions_restate(lines, config) is want, (lines, config.restate_modules)
        assert mentions_restate(tuple(lines), config) is want
        assert mentions_restate(iter(lines), config) is want
    assert len(cases) == 56
    assert sum(_per_line(lines, config) for lines, config in cases) == 27  # both answers are exercised


def test_the_prefilter_over_every_fixture_matches_the_line_search() -> None:
    files = sorted(FIXTURES.rglob("*.py"))
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines(True)
        assert mentions_restate(lines) is _per_line(lines, ReaConfig()), path
    assert len(files) >= 20


@pytest.fixture
def fresh_cache() -> object:
    forget()
    yield
    forget()


def test_sibling_directories_share_the_walk_up(tmp_path: Path, fresh_cache: object) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\n')
    dirs = [tmp_path / "a" / "b" / name for name in ("c", "d", "e")]
    for d in dirs:
        d.mkdir(parents=True)
        (d / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no [tool.rea]: passed over
    for d in dirs:
        assert find_pyproject(d / "m.py") == tmp_path / "pyproject.toml"
        assert find_pyproject(d) == tmp_path / "pyproject.toml"
    # a new pyproject.toml is seen once the loader forgets what it read
    (tmp_path / "a" / "pyproject.toml").write_text('[tool.rea]\nselect = ["REA1"]\n')
    assert find_pyproject(dirs[0]) == tmp_path / "pyproject.toml"
    forget()
    assert find_pyproject(dirs[0]) == tmp_path / "a" / "pyproject.toml"
    assert find_pyproject(tmp_path / "m.py") == tmp_path / "pyproject.toml"


def test_missing_paths_symlinks_and_loops_find_what_pathlib_found(tmp_path: Path, fresh_cache: object) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    real = tmp_path / "real"
    real.mkdir()
    (real / "pyproject.toml").write_text("[tool.rea]\n")
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    cases = {
        tmp_path / "missing.py": tmp_path / "pyproject.toml",  # a missing file: its directory decides
        tmp_path / "nodir" / "x.py": tmp_path / "pyproject.toml",
        tmp_path / "link" / "x.py": real / "pyproject.toml",  # resolved: the link's target decides
        tmp_path / "link": real / "pyproject.toml",
        tmp_path / "loop": tmp_path / "pyproject.toml",  # a symlink loop: the directory it sits in
        real / "pyproject.toml": real / "pyproject.toml",
    }
    for start, want in cases.items():
        assert find_pyproject(start) == want, start
        assert find_pyproject(str(start)) == want, start
    assert load_config(tmp_path / "link" / "x.py").source == str(real / "pyproject.toml")


def test_a_path_that_cannot_be_looked_at_is_an_error_not_a_skip(tmp_path: Path, fresh_cache: object) -> None:
    # as with pathlib: only "missing" (ENOENT, ENOTDIR ...) means "look further up"
    with pytest.raises(OSError) as err:
        find_pyproject(tmp_path / ("x" * 300) / "m.py")
    assert err.value.errno == errno.ENAMETOOLONG
    (tmp_path / "file").write_text("")
    assert find_pyproject(tmp_path / "file" / "m.py") is None  # ENOTDIR: missing


def test_the_checker_uses_the_configuration_of_each_files_directory(tmp_path: Path, fresh_cache: object) -> None:
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\n')
    (tmp_path / "loud").mkdir()
    src = (FIXTURES / "rea101_time_in_handler.py").read_text(encoding="utf-8")
    ReaChecker._configs.clear()
    ReaChecker._by_path.clear()
    codes = {}
    for name in ("quiet", "loud", "quiet"):
        path = tmp_path / name / "m.py"
        path.write_text(src, encoding="utf-8")  # (a path that is not a regular file is looked up alone)
        codes[name] = [message.split()[0] for _, _, message, _ in ReaChecker(ast.parse(src), str(path), src.splitlines(True)).run()]
    assert "REA101" not in codes["quiet"]
    assert codes["loud"].count("REA101") >= 13
    assert len(ReaChecker._configs) == 2  # one lookup per directory


def test_each_checker_takes_the_configuration_its_run_looked_up(tmp_path: Path, fresh_cache: object) -> None:
    # flake8 hands the plugin every path before the checkers run (parse_options): each file's
    # configuration is looked up then, once, and its checker takes that one (no second lookup per
    # file in the workers), even for a symlink, which the per-directory cache never holds
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "pyproject.toml").write_text('[tool.rea]\nignore = ["REA101"]\n')
    (tmp_path / "named").mkdir()
    src = (FIXTURES / "rea101_time_in_handler.py").read_text(encoding="utf-8")
    (tmp_path / "target" / "real.py").write_text(src, encoding="utf-8")
    link = tmp_path / "named" / "m.py"
    link.symlink_to(tmp_path / "target" / "real.py")

    def codes() -> list[str]:
        return [m.split()[0] for _, _, m, _ in ReaChecker(ast.parse(src), str(link), src.splitlines(True)).run()]

    ReaChecker._check_configs([str(link)])
    assert ReaChecker._by_path[str(link)].source == str(tmp_path / "target" / "pyproject.toml")
    assert "REA101" not in codes()
    (tmp_path / "target" / "pyproject.toml").write_text("[tool.rea]\n")
    forget()  # a lookup now would read the new file: the run keeps the one it started with
    assert "REA101" not in codes()
    ReaChecker._check_configs([str(link)])  # the next run looks again
    assert codes().count("REA101") >= 13
    ReaChecker._by_path.clear()
