"""The result cache: an unchanged file under an unchanged configuration is not analysed again.

An entry is keyed by the file's path and content hash, the configuration fingerprint, the
rea version and a stamp of rea's own source files (so a rule edited during development
never serves stale results). Entries are small JSON files under `.rea_cache/`, written
atomically, one per file, so worker processes never contend for one big file. A broken or
unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rea_lint import __version__

__all__ = ["ResultCache", "code_stamp"]

_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This directory is a cache made by rea (https://bford.info/cachedir/).\n"


@functools.lru_cache(maxsize=1)
def code_stamp() -> str:
    """rea's version plus the size and mtime of each of its modules."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


class ResultCache:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._ready = False

    def key(self, path: str, content: bytes, salt: str) -> str:
        h = hashlib.sha256()
        for part in (code_stamp(), salt, os.path.abspath(path)):
            h.update(part.encode("utf-8", "surrogateescape"))
            h.update(b"\0")
        h.update(content)
        return h.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def load(self, key: str) -> Any | None:
        try:
            with open(self._entry(key), encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None

    def store(self, key: str, value: Any) -> None:
        target = self._entry(key)
        try:
            self._prepare()
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, separators=(",", ":"))
            os.replace(tmp, target)
        except OSError:
            pass  # a read-only tree just means no cache

    def _prepare(self) -> None:
        if self._ready:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# made by rea\n*\n")):
            p = self.directory / name
            if not p.exists():
                p.write_text(text, encoding="utf-8")
        self._ready = True
