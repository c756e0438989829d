"""The result cache: an unchanged file (content, config, rea version) is not analysed again."""

from __future__ import annotations

import json
import os
import time

import pytest

from rea_lint import runner
from rea_lint.cache import INDEXES_KEPT, STALE_TEMP_SECONDS
from rea_lint.cli import main

BAD = (
    "import time\nimport restate\nsvc = restate.Service('s')\n\n"
    "@svc.handler()\nasync def h(ctx: restate.Context):\n    return time.time()\n"
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys, *argv: str) -> tuple[int, int, str]:
    """(exit code, files analysed, stdout) of one in-process `rea check -j1`."""
    before = runner.ANALYSES
    code = main(["check", "-j", "1", *argv])
    return code, runner.ANALYSES - before, capsys.readouterr().out


def test_unchanged_files_are_not_analysed_again(project, capsys):
    first = check(capsys, ".")
    second = check(capsys, ".")
    assert first[1] == 3 and second[1] == 0
    assert first[0] == second[0] == 1
    assert first[2] == second[2]  # same report from the cache
    assert (project / ".rea_cache" / "CACHEDIR.TAG").is_file()


def test_a_changed_file_is_analysed_again(project, capsys):
    check(capsys, ".")
    (project / "m1.py").write_text(BAD.replace("time.time()", "await ctx.time()"))
    code, analysed, out = check(capsys, ".")
    assert analysed == 1
    assert "m1.py" not in out


def test_a_changed_config_invalidates(project, capsys):
    check(capsys, ".")
    (project / "pyproject.toml").write_text("[tool.rea]\nseverity = { REA101 = 'warning' }\n")
    assert check(capsys, ".")[1] == 3
    assert check(capsys, ".")[1] == 0
    assert check(capsys, "--ignore", "REA101", ".")[1] == 3  # command-line overrides are config too


def test_no_cache_and_cache_dir(project, capsys):
    check(capsys, ".")
    assert check(capsys, "--no-cache", ".")[1] == 3
    assert check(capsys, "--cache-dir", "elsewhere", ".")[1] == 3
    assert (project / "elsewhere").is_dir()


def test_report_formats_share_the_cached_results(project, capsys):
    """A plain text run does not plan fixes (libcst), so json, which publishes each fix's
    edit, analyses the files once more; json, sarif and `--show-fixes` share those entries."""
    check(capsys, ".")
    assert check(capsys, ".")[1] == 0
    code, analysed, out = check(capsys, "--format", "json", ".")
    assert analysed == 3
    assert json.loads(out)["findings"][0]["fix"]["edits"]
    assert check(capsys, "--format", "sarif", ".")[1] == 0
    assert check(capsys, "--show-fixes", ".")[1] == 0


def test_fix_reanalyses_only_files_it_could_change(project, capsys):
    (project / "clean.py").write_text("import restate\n")
    check(capsys, ".")
    code, analysed, _ = check(capsys, "--fix", "--unsafe-fixes", ".")
    assert analysed == 3 and code == 0
    assert "await ctx.time()" in (project / "m0.py").read_text()
    assert check(capsys, ".")[1] == 3  # fixed files have new content
    assert check(capsys, ".")[1] == 0


def test_a_corrupt_entry_is_a_miss(project, capsys):
    check(capsys, ".")
    for entry in (project / ".rea_cache").rglob("*.json"):
        entry.write_text("{not json")
    assert check(capsys, ".")[1] == 3


# --- one index per configuration, the project link, no analysis on a warm run ------------------

HELPER = "import time\n\n\ndef stamp():\n    return time.time()\n"
CALLER = (
    "import restate\nfrom helper import stamp\nsvc = restate.Service('s')\n\n"
    "@svc.handler()\nasync def h(ctx: restate.Context):\n    return stamp()\n"
)


@pytest.fixture
def chain(tmp_path, monkeypatch):
    """A handler module whose finding comes from another module (the project link)."""
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "caller.py").write_text(CALLER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def linked(monkeypatch) -> list[int]:
    """Counts the project links built (one per run that could not reuse the cached outcome)."""
    from rea_lint import project

    built: list[int] = []
    real = project.Project.__init__

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(project.Project, "__init__", counting)
    return built


def findings(out: str) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in json.loads(out)["findings"]]


def test_an_unchanged_run_reuses_the_project_link(chain, capsys, monkeypatch):
    built = linked(monkeypatch)
    first = check(capsys, "--format", "json", ".")
    assert len(built) == 1 and findings(first[2]) == [("caller.py", 7, "REA101")]
    second = check(capsys, "--format", "json", ".")
    assert second[1] == 0 and len(built) == 1  # nothing analysed, nothing linked
    assert second[2] == first[2]
    (chain / "helper.py").write_text("def stamp():\n    return 0.0\n")  # the helper alone changes
    third = check(capsys, "--format", "json", ".")
    assert third[1] == 1 and len(built) == 2 and findings(third[2]) == []
    (chain / "helper.py").write_text(HELPER)  # and back: the old outcome is valid again
    fourth = check(capsys, "--format", "json", ".")
    assert fourth[1] == 1 and len(built) == 2 and fourth[2] == first[2]


def test_a_broken_link_cache_is_linked_again(chain, capsys, monkeypatch):
    built = linked(monkeypatch)
    first = check(capsys, "--format", "json", ".")
    for text in ("{not json", '{"format": 1, "links": [["x", 1], 3]}', "[]"):
        (chain / ".rea_cache" / "links.json").write_text(text)
        again = check(capsys, "--format", "json", ".")
        assert again[1] == 0 and again[2] == first[2]
    assert len(built) == 4


def test_a_link_outcome_that_does_not_fit_is_linked_again(chain, capsys, monkeypatch):
    built = linked(monkeypatch)
    first = check(capsys, "--format", "json", ".")
    links = chain / ".rea_cache" / "links.json"
    data = json.loads(links.read_text())
    [[key, outcome]] = data["links"]
    for bad in ({"0:9": []}, {"5:0": []}, {"-1:0": []}, {"0:0": [["x"]]}, {"0:x": []}):
        data["links"] = [[key, bad]]
        links.write_text(json.dumps(data))
        assert check(capsys, "--format", "json", ".")[2] == first[2]
    assert len(built) == 6


def test_an_index_without_its_summaries_analyses_again_for_the_link(chain, capsys, monkeypatch):
    """Line 2 of an index (the summaries) is read only to link: if it is gone, the files are
    analysed again for their summaries, and the findings stay the same."""
    first = check(capsys, "--format", "json", ".")
    cache = chain / ".rea_cache"
    (cache / "links.json").unlink()
    [index] = cache.glob("index-*.json")
    index.write_bytes(index.read_bytes().partition(b"\n")[0])
    again = check(capsys, "--format", "json", ".")
    assert again[1] == 2 and again[2] == first[2]
    assert not (cache / "links.json").exists()  # an outcome from recomputed summaries is not kept


def test_a_broken_index_is_a_miss(chain, capsys):
    first = check(capsys, ".")
    [index] = (chain / ".rea_cache").glob("index-*.json")
    head, _, rest = index.read_bytes().partition(b"\n")
    doc = json.loads(head)
    for broken in (b"", b"\x00\xff", head[: len(head) // 2], json.dumps({**doc, "format": 0}).encode(),
                   json.dumps({**doc, "files": {k: [1] for k in doc["files"]}}).encode(),
                   json.dumps({**doc, "files": {k: [v[0], {"d": [["x"]]}, True] for k, v in doc["files"].items()}}).encode()):
        index.write_bytes(broken + b"\n" + rest)
        assert check(capsys, ".") == (first[0], 2, first[2])


def test_a_file_under_another_spelling_of_its_path_is_a_miss(chain, capsys):
    """Findings carry the path as given: `/abs/caller.py` is not served `caller.py`'s result."""
    check(capsys, "caller.py", "helper.py")
    code, analysed, out = check(capsys, str(chain / "caller.py"), str(chain / "helper.py"))
    assert analysed == 2 and f"{chain / 'caller.py'}:7" in out
    assert check(capsys, "caller.py", "helper.py")[1] == 0  # both spellings are kept


def test_files_checked_by_other_runs_stay_cached_and_deleted_ones_are_dropped(tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\n")
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    assert check(capsys, "a")[1] == 1
    assert check(capsys, "b")[1] == 1
    assert check(capsys, "a")[1] == 0 and check(capsys, "b")[1] == 0  # one index holds both
    (tmp_path / "a" / "m.py").unlink()
    (tmp_path / "b" / "m.py").write_text(BAD + "\n")
    assert check(capsys, "b")[1] == 1
    [index] = (tmp_path / ".rea_cache").glob("index-*.json")
    kept = json.loads(index.read_bytes().partition(b"\n")[0])["files"]
    assert sorted(kept) == [f"{tmp_path / 'b' / 'm.py'}\0b/m.py"]


def test_an_edit_between_two_runs_is_seen_even_with_the_same_size_and_time(project, capsys):
    """Keyed by content, not by mtime: an edit within the same clock tick is not missed."""
    import os

    check(capsys, ".")
    target = project / "m1.py"
    st = target.stat()
    target.write_text(BAD.replace("time.time()", "float(1.25)"))  # same length, no finding
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    code, analysed, out = check(capsys, ".")
    assert analysed == 1 and "m0.py" in out and "m1.py" not in out


def test_a_warm_run_imports_no_analysis_and_starts_no_worker(project, capsys):
    import subprocess
    import sys

    for i in range(3, 40):  # enough files for workers, were any analysed
        (project / f"m{i}.py").write_text(BAD)
    check(capsys, ".")
    probe = (
        "import sys\nfrom rea_lint.cli import main\n"
        "code = main(['check', '--jobs', '2', '.'])\n"
        "print(code, sorted(m for m in ('rea_lint.engine', 'rea_lint.autofix', 'multiprocessing') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "1 []"


def test_results_analysed_by_workers_are_cached(project, capsys):
    for i in range(3, 40):
        (project / f"m{i}.py").write_text(BAD)
    cold = main(["check", "-j", "2", "--format", "json", "."]), capsys.readouterr().out
    before = runner.ANALYSES
    warm = main(["check", "-j", "1", "--format", "json", "."]), capsys.readouterr().out
    assert runner.ANALYSES == before and warm == cold and len(json.loads(cold[1])["findings"]) == 40


def test_old_indexes_and_left_temporary_files_are_removed(project, capsys):
    """Each configuration and rea version writes an index of its own: a run that writes one
    keeps the `INDEXES_KEPT` most recently used and removes the rest, and a temporary file a
    killed run left (older than `STALE_TEMP_SECONDS`) goes too; a fresh one may be another
    run's write in progress and stays."""
    cache = project / ".rea_cache"
    cache.mkdir()
    now = time.time()
    old = []
    for age in range(1, INDEXES_KEPT + 3):  # two more than are kept, besides the one written
        path = cache / f"index-{age:024d}.json"
        path.write_text("{}\n{}")
        os.utime(path, (now - age * 86400, now - age * 86400))
        old.append(path)
    left, writing = cache / ".left.tmp", cache / ".writing.tmp"
    for path, age in ((left, STALE_TEMP_SECONDS + 60), (writing, 5)):
        path.write_text("{")
        os.utime(path, (now - age, now - age))
    assert check(capsys, ".")[1] == 3
    written = set(cache.glob("index-*.json")) - set(old)
    assert len(written) == 1
    assert sorted(cache.glob("index-*.json")) == sorted([*written, *old[: INDEXES_KEPT - 1]])
    assert not left.exists() and writing.exists()


def test_an_index_a_run_reads_is_kept_as_used(project, capsys):
    """A warm run writes nothing, but marks its index used: it outlives indexes written
    after it was, when another configuration's run removes the least recently used."""
    check(capsys, ".")
    cache = project / ".rea_cache"
    [index] = cache.glob("index-*.json")
    now = time.time()
    os.utime(index, (now - 7 * 86400, now - 7 * 86400))  # written a week ago
    others = [cache / f"index-{n:024d}.json" for n in range(INDEXES_KEPT)]  # written since
    for n, path in enumerate(others):
        path.write_text("{}\n{}")
        os.utime(path, (now - 86400 - n * 3600, now - 86400 - n * 3600))
    assert check(capsys, ".")[1] == 0  # read, not written
    assert index.stat().st_mtime > now - 3600
    assert check(capsys, "--select", "REA101", ".")[1] == 3  # another configuration: a new index
    kept = set(cache.glob("index-*.json"))
    assert len(kept) == INDEXES_KEPT
    assert index in kept and others[-1] not in kept and others[-2] not in kept
