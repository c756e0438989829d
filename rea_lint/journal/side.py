"""One side of a comparison: its `*.py` files as text, and the ones that cannot be had.

Bytes are decoded by `rea check`'s own `runner.decode` (a PEP 263 coding cookie, a UTF-8 BOM,
else UTF-8), and files on disk are read by its `reading.read_regular` (regular files only, up
to the `max-file-size` that applies to them), so both commands accept and refuse the same
files. A file refused is kept by path with its one-line problem, never dropped or read with
replacement characters: a comparison then knows it could not see that file's handlers
(`uncompared`).

A symbolic link is followed only to a file of its own side (the revision's tree, the
repository, the directory: `links`): a git revision holds a link's target path, not a file
outside its tree, so the work tree and a directory do not read one there either, or one
unchanged link would read differently on the two sides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rea_lint.reading import DEFAULT_MAX_FILE_SIZE

__all__ = ["Side"]


@dataclass(frozen=True)
class Unread:
    """What a file that was not read is, for telling whether it changed: a link's target text,
    or a git blob's id (the same id on both sides is the same bytes)."""

    what: str
    value: str


@dataclass
class Side:
    sources: dict[str, str] = field(default_factory=dict)
    """Relative path -> text."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Relative path -> why it cannot be read or decoded (one line that starts with the path)."""
    raw: dict[str, bytes] = field(default_factory=dict)
    """The bytes of the files that were read but not decoded: the same bytes on both sides are
    an unchanged file."""
    unread: dict[str, Unread] = field(default_factory=dict)
    """What the files refused without being read are, where that is known (`Unread`)."""
    over_limit: list[str] = field(default_factory=list)
    """The files on disk refused for their size (git may know their blob id: `unread`)."""
    excluded: set[str] = field(default_factory=set)
    """The files `[tool.rea] exclude` leaves out, as `rea check` does: never read."""

    def add_bytes(self, path: str, data: bytes) -> None:
        from rea_lint.runner import decode, undecodable

        try:
            self.sources[path] = decode(data)
        except (SyntaxError, UnicodeDecodeError, LookupError) as err:
            message, line, col = undecodable(data, err)  # (`rea check`'s words, the fix included)
            self.unreadable[path] = f"{path}:{line}:{col + 1}: {message}"
            self.raw[path] = data

    def add_file(self, path: str, full: Path, limit: int = DEFAULT_MAX_FILE_SIZE) -> None:
        """The file at ``full`` (at most ``limit`` bytes) as ``path``; one that is gone (deleted,
        not yet staged) or a directory is absent from this side."""
        from rea_lint.reading import FileTooBig, UnreadableFile, read_regular

        if full.is_dir():
            return
        try:
            data = read_regular(full, limit)
        except UnreadableFile as err:
            self.refuse(path, str(err).removeprefix("skipped: "))
            if isinstance(err, FileTooBig):
                self.over_limit.append(path)
        except FileNotFoundError:
            if os.path.islink(full):
                self.refuse(path, f"a symbolic link to {shown(os.readlink(full))}, which does not exist")
        except OSError as err:
            self.refuse(path, err.strerror or str(err))
        else:
            self.add_bytes(path, data)

    def refuse(self, path: str, why: str, unread: Unread | None = None) -> None:
        self.unreadable[path] = f"{path}: cannot read: {why}"
        if unread is not None:
            self.unread[path] = unread

    def content(self) -> dict[str, object]:
        """Relative path -> what it holds (text, the bytes of one not decoded, or what one not
        read is: `Unread`)."""
        return {**self.unread, **self.sources, **self.raw}


def shown(text: str) -> str:
    """A path (a link's target) for a one-line message: as it is, or quoted when it holds a
    line break or another character that is not printable."""
    return text if text.isprintable() else repr(text)
