"""The `[tool.rea]` fingerprint mypy's cache checks, without loading the config on a warm run.

mypy asks `report_config_data` for every module, also when every module comes from its
cache and no hook will fire; loading the config for that answer was most of the plugin's
cost on a warm run. So the fingerprint of a config that loaded fine is kept in mypy's cache
directory next to a stamp of everything the loader reads: each pyproject.toml it may look
at, byte for byte, and the code of rea's loader. While the stamp matches, that fingerprint
is the answer and the config itself is loaded only when a hook fires. Any change (or no
cache directory) means a normal load: a broken config still fails the run at once.

The same file keeps the table of rea's mypy error codes (`mypy_plugin.codes.table`, made from
the catalog), which mypy needs on every run: the stamp covers the catalog and the module that
picks the implemented rules, so a warm run registers the codes without importing the catalog.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

__all__ = ["config_digest", "config_start", "stamp_of", "read_fingerprint", "write_fingerprint"]

_FILE = "rea-config.json"
_LOADER_FILES = ("config.py", "catalog.py", "reading.py")
"""rea_lint's modules that decide what a `[tool.rea]` table means (and so its fingerprint)."""
_CODES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "codes.py")
"""The plugin's module that picks the rules with an error code (the kept code table)."""


def config_start(config_file: str | None) -> tuple[str | None, str]:
    """(the pyproject.toml mypy was configured with, or None; the directory the search for
    one starts from): what `hooks.load_config` reads, decided in one place."""
    path = os.path.abspath(config_file) if config_file else None
    if path and os.path.basename(path) == "pyproject.toml":
        return path, os.path.dirname(path)
    return None, os.path.dirname(path) if path else os.getcwd()


def config_digest(fingerprint: str, version: str) -> str:
    """What the plugin reports to mypy's cache for a config (`report_config_data`): mypy
    round-trips it through JSON for every module of every run, so a digest, not the text."""
    return f"{version}:{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"


def stamp_of(config_file: str | None, version: str) -> str | None:
    """A digest of every input of the config's loading, or None when one cannot be read."""
    explicit, start = config_start(config_file)
    digest = hashlib.sha256(version.encode())
    try:
        spec = find_spec("rea_lint")
        origin = spec.origin if spec is not None else None
        if not origin:
            return None
        for path in [os.path.join(os.path.dirname(origin), name) for name in _LOADER_FILES] + [_CODES_FILE]:
            st = os.stat(path)
            digest.update(f"{path}:{st.st_mtime_ns}:{st.st_size};".encode())
        if explicit is not None:
            candidates = [Path(explicit)]
        else:  # the loader's walk (`rea_lint.config.find_pyproject`), to the root: a superset
            here = Path(start).resolve()
            if here.is_file() or not here.exists():
                here = here.parent
            candidates = [d / "pyproject.toml" for d in (here, *here.parents)]
        for candidate in candidates:
            digest.update(str(candidate).encode() + b"\0")
            try:
                with open(candidate, "rb") as fh:
                    digest.update(hashlib.sha256(fh.read()).digest())
            except FileNotFoundError:
                digest.update(b"-")
            except IsADirectoryError:
                digest.update(b"d")
    except (OSError, RuntimeError, ValueError, ImportError):
        return None  # unreadable or odd: load the config as usual
    return digest.hexdigest()


def _path(cache_dir: str | None) -> str | None:
    if not cache_dir or os.path.abspath(cache_dir) == os.path.abspath(os.devnull):
        return None
    return os.path.join(cache_dir, _FILE)


def read_fingerprint(cache_dir: str | None, stamp: str | None) -> Any:
    """The fingerprint stored with ``stamp``, or None."""
    path = _path(cache_dir)
    if path is None or stamp is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
    except (OSError, ValueError):
        return None
    if isinstance(stored, dict) and stored.get("stamp") == stamp:
        return stored.get("data")
    return None


def write_fingerprint(cache_dir: str | None, stamp: str | None, data: Any) -> None:
    """Keep ``data`` for the next run with the same stamp (best effort: a read-only cache only
    means the next run loads the config again)."""
    path = _path(cache_dir)
    if path is None or stamp is None:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"stamp": stamp, "data": data}, fh)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
