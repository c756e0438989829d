"""One side of a comparison: its `*.py` files as text, and the ones that cannot be had.

Bytes are decoded by `rea check`'s own `runner.decode` (a PEP 263 coding cookie, a UTF-8 BOM,
else UTF-8), and files on disk are read by its `reading.read_regular` (regular files only, up
to a size), so both commands accept and refuse the same files. A file refused is kept by path
with its one-line problem, never dropped or read with replacement characters: a comparison
then knows it could not see that file's handlers (`uncompared`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Side"]


@dataclass
class Side:
    sources: dict[str, str] = field(default_factory=dict)
    """Relative path -> text."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Relative path -> why it cannot be read or decoded (one line that starts with the path)."""
    raw: dict[str, bytes] = field(default_factory=dict)
    """The bytes of the files that were read but not decoded: the same bytes on both sides are
    an unchanged file."""

    def add_bytes(self, path: str, data: bytes) -> None:
        from rea_lint.runner import decode, undecodable

        try:
            self.sources[path] = decode(data)
        except (SyntaxError, UnicodeDecodeError, LookupError) as err:
            message, line, col = undecodable(data, err)  # (`rea check`'s words, the fix included)
            self.unreadable[path] = f"{path}:{line}:{col + 1}: {message}"
            self.raw[path] = data

    def add_file(self, path: str, full: Path) -> None:
        """The file at ``full`` as ``path``; one that is gone (deleted, not yet staged) or a
        directory is absent from this side."""
        from rea_lint.reading import UnreadableFile, read_regular

        if full.is_dir():
            return
        try:
            data = read_regular(full)
        except UnreadableFile as err:
            self.refuse(path, str(err).removeprefix("skipped: "))
        except FileNotFoundError:
            if os.path.islink(full):
                self.refuse(path, f"a symbolic link to {os.readlink(full)}, which does not exist")
        except OSError as err:
            self.refuse(path, err.strerror or str(err))
        else:
            self.add_bytes(path, data)

    def refuse(self, path: str, why: str) -> None:
        self.unreadable[path] = f"{path}: cannot read: {why}"

    def content(self) -> dict[str, object]:
        """Relative path -> what it holds (text, or the bytes of one not decoded)."""
        return {**self.sources, **self.raw}
