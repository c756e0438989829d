"""Give the parser's scratch memory back to the OS before the model is built.

`ast.parse` builds the tree through a C arena about as large as the tree itself and frees
it at the end with `free()`. glibc keeps that memory in the process heap, while the model's
objects come from fresh pymalloc arenas (mmap), so without this the peak of `rea check` on
a huge module is the parser's peak plus the whole model (1.23x `ast.parse` alone on a 9 MB,
240k-line module; 1.04x with the trim; figures in docs/reliability.md). `malloc_trim(0)`
returns the free heap pages. It costs a few milliseconds, so it runs for big files only,
and it is a no-op where the C library has no such call (macOS, musl, Windows).
"""

from __future__ import annotations

import functools
from typing import Callable

__all__ = ["TRIM_ABOVE", "release_free_memory"]

TRIM_ABOVE = 1 << 20
"""Source size (characters) from which a parse is followed by a trim."""


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes  # (here: ctypes.util imports subprocess, 13 ms at every start; few runs trim)
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Return freed heap memory to the OS; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
