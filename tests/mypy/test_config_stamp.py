"""The config fingerprint kept for warm runs: it is reused only while nothing the loader reads
has changed, and a config broken after a cached run still fails the next run."""

from __future__ import annotations

from pathlib import Path

from mypy_plugin.config_stamp import read_fingerprint, stamp_of, write_fingerprint
from tests.mypy.harness import run_mypy, write_config


def test_the_stamp_follows_every_pyproject_the_loader_may_read(tmp_path: Path) -> None:
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    ini = inner / "mypy.ini"
    ini.write_text("[mypy]\n")
    stamps = [stamp_of(str(ini), "1")]
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\nignore = []\n")  # appears two levels up
    stamps.append(stamp_of(str(ini), "1"))
    (tmp_path / "pyproject.toml").write_text("[tool.rea]\nignore = ['REA101']\n")  # its bytes change
    stamps.append(stamp_of(str(ini), "1"))
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # a nearer one appears
    stamps.append(stamp_of(str(ini), "1"))
    stamps.append(stamp_of(str(ini), "2"))  # another plugin version
    assert None not in stamps and len(set(stamps)) == 5
    assert stamp_of(str(ini), "2") == stamps[-1]  # nothing changed: the same stamp


def test_the_stamp_of_an_explicit_pyproject_is_its_bytes(tmp_path: Path) -> None:
    py = tmp_path / "pyproject.toml"
    py.write_text("[tool.mypy]\n")
    first = stamp_of(str(py), "1")
    (tmp_path.parent / "unrelated.txt").write_text("x")
    assert stamp_of(str(py), "1") == first
    py.write_text("[tool.mypy]\n[tool.rea]\n")
    assert stamp_of(str(py), "1") != first


def test_a_fingerprint_is_read_back_only_with_its_stamp(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    assert read_fingerprint(cache, "s1") is None  # nothing kept yet
    write_fingerprint(cache, "s1", {"rea": "x", "plugin": "3"})
    assert read_fingerprint(cache, "s1") == {"rea": "x", "plugin": "3"}
    assert read_fingerprint(cache, "s2") is None
    write_fingerprint("/dev/null", "s1", {"rea": "x"})  # mypy's "no cache": nothing written, no error
    assert read_fingerprint("/dev/null", "s1") is None


def test_a_config_broken_after_a_cached_run_still_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "h.py").write_text(
        "import time\nfrom restate import Context\n\nasync def h(ctx: Context) -> None:\n    time.time()\n")
    cache = str(tmp_path / "cache")
    cfg = write_config(tmp_path, rea='ignore = ["REA102"]')
    first = run_mypy(tmp_path / "src", config=cfg, cache_dir=cache)
    assert [code for _, _, code in first.findings] == ["REA101"]
    assert (tmp_path / "cache" / "rea-config.json").is_file()
    warm = run_mypy(tmp_path / "src", config=cfg, cache_dir=cache)  # served by the kept fingerprint
    assert [code for _, _, code in warm.findings] == ["REA101"]
    cfg = write_config(tmp_path, rea='ignore = ["REA1O1"]')
    broken = run_mypy(tmp_path / "src", config=cfg, cache_dir=cache)
    assert broken.status == 2 and "'REA1O1' matches no rule code" in broken.stdout + broken.stderr
    cfg = write_config(tmp_path, rea='ignore = ["REA101"]')
    assert run_mypy(tmp_path / "src", config=cfg, cache_dir=cache).findings == set()


_RUN = """
import json, sys
from mypy import api
out, err, status = api.run(sys.argv[1:])
print(json.dumps({"out": out, "status": status, "catalog": "rea_lint.catalog" in sys.modules}))
"""


def _fresh_run(root: Path, cache: Path) -> dict:  # type: ignore[type-arg]
    """A mypy run in a fresh interpreter, as a user's is: which of rea's modules did it import?"""
    import json
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo), MYPYPATH=str(root / "src"))
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, str(root / "src"), "--config-file", str(root / "pyproject.toml"),
         "--cache-dir", str(cache), "--no-error-summary", "--show-error-codes", "--explicit-package-bases"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_warm_run_registers_the_codes_without_the_catalog(tmp_path: Path, cache: str) -> None:
    """mypy checks `disable_error_code` against the codes right after loading the plugin, on every
    run: a warm run registers them from the kept table (no catalog import) and reports what the
    cold run reported; a kept file without a whole table is rebuilt from the catalog."""
    import json
    import re
    import shutil

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "h.py").write_text(
        "import time\nimport uuid\nfrom restate import Context\n\n"
        "async def h(ctx: Context) -> None:\n    time.time()\n    uuid.uuid4()\n"
        "    time.monotonic()  # type: ignore[rea-time-in-handler]\n")
    write_config(tmp_path, mypy='disable_error_code = ["rea-uuid-in-handler"]\nwarn_unused_ignores = true')
    kept_cache = tmp_path / "cache"
    if Path(cache).is_dir():  # typeshed and restate already checked by other tests: seconds saved
        shutil.copytree(cache, kept_cache)
    cold = _fresh_run(tmp_path, kept_cache)
    assert cold["catalog"] and cold["status"] == 1
    assert re.findall(r"^src/h\.py:(\d+): error: (REA\d+)", cold["out"], re.M) == [("6", "REA101")], cold["out"]
    assert len(cold["out"].splitlines()) == 1, cold["out"]  # uuid4 disabled, the ignore used
    warm = _fresh_run(tmp_path, kept_cache)
    assert warm == {**cold, "catalog": False}
    kept = kept_cache / "rea-config.json"
    stored = json.loads(kept.read_text())
    assert set(stored["data"]["codes"]) >= {"REA101", "REA103"}
    for broken in ({k: v for k, v in stored["data"].items() if k != "codes"},  # an older plugin's file
                   {**stored["data"], "codes": {"REA101": ["rea-time-in-handler", "x"]}}):  # a partial table
        kept.write_text(json.dumps({"stamp": stored["stamp"], "data": broken}))
        again = _fresh_run(tmp_path, kept_cache)
        assert again["out"] == cold["out"] and again["status"] == 1 and again["catalog"]
