"""The result cache: an unchanged file under an unchanged configuration is not analysed again.

A result is keyed by the file's path and content digest (sha256), the configuration's
salt (fingerprint, enabled codes, output options), the rea version and a stamp of rea's own
source files (so a rule edited during development never serves stale results).

All results of one (stamp, salt) live in one index file under `.rea_cache/`, read once per
run by the main process (a warm run starts no worker and imports no analysis) and written
back once, atomically, when something changed: concurrent runs can cost each other cache
misses, never a broken file. Line 1 of an index maps each file to its digest and findings;
line 2 holds the files' project summaries, parsed only when the project link has to be
computed again. The link's outcome is cached too (`links.json`), keyed by every member's
path and digest, so a run where nothing changed does no project-wide work at all.

A broken or unreadable index or entry is a miss, never an error. The directory does not
grow without end: each rea version and configuration makes an index of its own, and a run
that writes one removes all but the `INDEXES_KEPT` most recently used (a run that reads an
index marks it used) and the temporary files a killed run left behind.
"""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from rea_lint import __version__

__all__ = ["Index", "ResultCache", "code_stamp", "digest", "entry_name"]

FORMAT = 1
"""Bump when the layout of an index or of links.json changes."""
LINKS_KEPT = 8
"""How many project-link outcomes links.json keeps (one per recently checked file set)."""
INDEXES_KEPT = 8
"""How many index files a cache directory keeps: the most recently used (one per rea version
and configuration: the older ones are left by an upgrade or a configuration change)."""
STALE_TEMP_SECONDS = 3600
"""A temporary file this old was left by a killed run (a write takes well under a second)."""

_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This directory is a cache made by rea (https://bford.info/cachedir/).\n"


@functools.lru_cache(maxsize=1)
def code_stamp() -> str:
    """rea's version plus the size and mtime of each of its modules."""
    root = Path(__file__).resolve().parent
    from hashlib import sha256  # (here: OpenSSL loads in ms, and a --no-cache run never hashes)

    h = sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def digest(content: bytes) -> str:
    """What identifies a file's content in the cache."""
    from hashlib import sha256

    return sha256(content).hexdigest()


def entry_name(path: str) -> str:
    """A file's name in an index: its absolute path and the path as given (findings carry
    the latter, so `a.py` and `/abs/a.py` are cached apart, each served its own)."""
    return f"{os.path.abspath(path)}\0{path}"


def _hash(parts: Iterable[str]) -> str:
    from hashlib import sha256

    h = sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


class Index:
    """The cached results of one (code stamp, salt): `entry_name` -> (content digest, result,
    whether a summary exists), and the summaries beside them."""

    def __init__(self, cache: "ResultCache", salt: str) -> None:
        self.cache = cache
        self.salt = salt
        self.name = _hash((code_stamp(), salt))[:24]
        """Identifies (stamp, salt): part of the project link's key."""
        self.file = cache.directory / f"index-{self.name}.json"
        self._entries: dict[str, list[Any]] | None = None
        self._summaries: dict[str, list[Any]] | None = None
        self._new: dict[str, list[Any]] = {}
        self._new_summaries: dict[str, list[Any]] = {}

    def _load(self) -> dict[str, list[Any]]:
        """Line 1 only: a warm run whose project link is cached never reads the summaries."""
        if self._entries is None:
            self._entries = {}
            try:
                with open(self.file, "rb") as fh:
                    data = json.loads(fh.readline())
                if data["format"] == FORMAT and data["stamp"] == code_stamp() and data["salt"] == self.salt:
                    entries = data["files"]
                    if isinstance(entries, dict):
                        self._entries = entries
                        os.utime(self.file)  # used: kept when other indexes are removed (`ResultCache.prune`)
            except (OSError, ValueError, KeyError, TypeError):
                pass
        return self._entries

    def get(self, name: str, key: str) -> list[Any] | None:
        """The stored [digest, result, has-summary] for this file and content, or None."""
        entry = self._load().get(name)
        if type(entry) is list and len(entry) == 3 and entry[0] == key:
            return entry
        return None

    def summary(self, name: str, key: str) -> tuple[dict[str, Any], dict[str, list[str]]] | None:
        """(summary, noqa) stored with this file's content, or None (parsed on first use)."""
        if self._summaries is None:
            self._summaries = {}
            try:  # (if another run replaced the file since line 1 was read, each entry's digest still decides)
                with open(self.file, "rb") as fh:
                    fh.readline()
                    found = json.loads(fh.read() or b"{}")
                if isinstance(found, dict):
                    self._summaries = found
            except (OSError, ValueError):
                pass
        entry = self._new_summaries.get(name) or self._summaries.get(name)
        if type(entry) is list and len(entry) == 3 and entry[0] == key and isinstance(entry[1], dict) and isinstance(entry[2], dict):
            return entry[1], entry[2]
        return None

    def put(self, name: str, key: str, result: dict[str, Any],
            summary: dict[str, Any] | None, noqa: dict[str, list[str]]) -> None:
        self._new[name] = [key, result, summary is not None]
        if summary is not None:
            self._new_summaries[name] = [key, summary, noqa]

    def save(self, seen: set[str]) -> None:
        """Write the index if this run added anything: old entries of files this run did
        not check are kept while the file exists (another run may check it)."""
        if not self._new:
            return
        old = self._load()
        self.summary("", "")  # parse the old summaries: they are written back
        assert self._summaries is not None
        files: dict[str, list[Any]] = {}
        summaries: dict[str, list[Any]] = {}
        for name, entry in old.items():
            if type(entry) is not list or len(entry) != 3 or name in self._new:
                continue
            if name not in seen and not os.path.exists(name.partition("\0")[0]):
                continue
            if entry[2]:  # its summary must be there, and for the same content
                summary = self._summaries.get(name)
                if type(summary) is not list or not summary or summary[0] != entry[0]:
                    continue
                summaries[name] = summary
            files[name] = entry
        files.update(self._new)
        summaries.update(self._new_summaries)
        head = {"format": FORMAT, "stamp": code_stamp(), "salt": self.salt, "files": files}
        dumps = functools.partial(json.dumps, separators=(",", ":"))

        def lines() -> Iterator[str]:  # the summaries entry by entry: no second copy of them as one string
            yield dumps(head)
            yield "\n{"
            for i, (name, entry) in enumerate(summaries.items()):
                yield f"{',' if i else ''}{dumps(name)}:{dumps(entry)}"
            yield "}"

        self.cache.write(self.file, lines())
        self.cache.prune(self.file)
        self._entries, self._summaries = files, summaries
        self._new, self._new_summaries = {}, {}


class ResultCache:
    """One cache directory: its indexes (one per salt) and the project-link outcomes."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._ready = False
        self._indexes: dict[str, Index] = {}
        self.unwritable: str | None = None
        """Why the directory could not be written (its first failure), for the run to say."""

    def index(self, salt: str) -> Index:
        found = self._indexes.get(salt)
        if found is None:
            found = self._indexes[salt] = Index(self, salt)
        return found

    def save(self, seen: set[str]) -> None:
        """Write every index this run added to (``seen``: the entry names it checked)."""
        for index in self._indexes.values():
            index.save(seen)

    # the project link ---------------------------------------------------------------------

    @staticmethod
    def link_key(parts: Iterable[str]) -> str:
        return _hash((code_stamp(), *parts))

    def _links(self) -> list[list[Any]]:
        try:
            with open(self.directory / "links.json", "rb") as fh:
                data = json.load(fh)
            if data["format"] == FORMAT and isinstance(data["links"], list):
                return [e for e in data["links"] if type(e) is list and len(e) == 2 and isinstance(e[1], dict)]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return []

    def load_link(self, key: str) -> dict[str, Any] | None:
        for k, value in self._links():
            if k == key:
                return value
        return None

    def store_link(self, key: str, value: dict[str, Any]) -> None:
        """Keep the newest outcomes (several file sets may share one cache directory)."""
        kept = [e for e in self._links() if e[0] != key][-(LINKS_KEPT - 1):]
        self.write(self.directory / "links.json",
                   json.dumps({"format": FORMAT, "links": [*kept, [key, value]]}, separators=(",", ":")))

    # files ----------------------------------------------------------------------------------

    def prune(self, current: Path) -> None:
        """Remove all but the `INDEXES_KEPT` most recently used index files (never
        ``current``, just written), and temporary files older than `STALE_TEMP_SECONDS`.
        A run reading a removed index at worst misses the cache."""
        indexes: list[tuple[float, str]] = []
        now = time.time()
        try:
            with os.scandir(self.directory) as found:
                entries = list(found)
        except OSError:
            return
        for entry in entries:
            name = entry.name
            try:
                if name.startswith("index-") and name.endswith(".json"):
                    if name != current.name:
                        indexes.append((entry.stat().st_mtime, entry.path))
                elif name.startswith(".") and name.endswith(".tmp") and now - entry.stat().st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(entry.path)
            except OSError:
                continue
        indexes.sort(reverse=True)
        for _used, path in indexes[INDEXES_KEPT - 1:]:
            try:
                os.unlink(path)
            except OSError:
                pass

    def write(self, target: Path, text: str | Iterable[str]) -> None:
        """Atomically (write aside, then rename over): a reader sees the old or the new file."""
        import tempfile

        try:
            self._prepare()
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
                    if isinstance(text, str):
                        fh.write(text)
                    else:
                        fh.writelines(text)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError as err:  # a read-only tree just means no cache (the run says so once)
            if self.unwritable is None:
                exists_apart = self.directory.exists() and not self.directory.is_dir()
                self.unwritable = "it is not a directory" if exists_apart else (err.strerror or str(err))

    def _prepare(self) -> None:
        if self._ready:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# made by rea\n*\n")):
            p = self.directory / name
            if not p.exists():
                p.write_text(text, encoding="utf-8")
        self._ready = True
