"""Read a source file safely: regular files only, and never more than a size limit.

A `*.py` that is a FIFO would block `open()` forever, and one that links to `/dev/zero`
would be read until memory runs out. So the file is opened without blocking, checked to be
a regular file on the open descriptor (no race with a rename), and read up to the limit.
Every refusal is an `UnreadableFile` whose message is one line that says why and what to do.
"""

from __future__ import annotations

import os
import stat

__all__ = ["DEFAULT_MAX_FILE_SIZE", "FileTooBig", "UnreadableFile", "describe_mode", "format_size", "read_regular", "too_big"]

DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024
"""64 MiB: three times the largest generated module rea is measured on (benchmarks/memory.py);
parsing a module this size already needs several GB, so bigger is almost surely not source."""

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


class UnreadableFile(OSError):
    """A file rea refuses to read; `str(err)` is the one-line reason."""


class FileTooBig(UnreadableFile):
    """A file over the size limit (`rea diff` may still tell it unchanged, by git's blob id)."""


def describe_mode(mode: int) -> str:
    """What a non-regular file is, in words (`a FIFO (named pipe)`)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def format_size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def read_regular(path: str | os.PathLike[str], limit: int = DEFAULT_MAX_FILE_SIZE) -> bytes:
    """The bytes of ``path`` if it is a regular file (symlinks followed) of at most ``limit``
    bytes; else `UnreadableFile`. Other `OSError`s (missing, permission) propagate."""
    fd = os.open(path, _FLAGS)  # non-blocking: opening a FIFO with no writer returns at once
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"skipped: {describe_mode(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise FileTooBig(too_big(info.st_size, limit))
        # Read to EOF, but never past the limit (the file may grow meanwhile). On a regular
        # file a read shorter than asked is the end, so a file that did not grow takes one
        # read (asking for one byte more than its size), without a file object around it.
        chunks: list[bytes] = []
        total = 0
        want = min(info.st_size + 1, limit + 1, _CHUNK_MAX)
        while True:
            chunk = os.read(fd, want)
            if chunk:
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:
                    raise FileTooBig(too_big(total, limit, growing=True))
            if len(chunk) < want:
                break
            want = min(_CHUNK, limit + 1 - total)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)  # (no chunk: an empty file)
    finally:
        os.close(fd)


_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_CHUNK = 1 << 20
"""Read size once a file turns out larger than it was when opened."""
_CHUNK_MAX = 1 << 30
"""Never ask one read for more (Linux returns at most about 2 GiB per read: a short read
that is not the end)."""


def too_big(size: int, limit: int, growing: bool = False) -> str:
    """Why a file of ``size`` bytes is not read (also for a git blob, whose size git knows)."""
    what = f"more than {format_size(limit)} (it grew while being read)" if growing else format_size(size)
    return (
        f"skipped: the file is {what}, over the max-file-size of {format_size(limit)}; "
        "raise `max-file-size` in [tool.rea] to check it"
    )
