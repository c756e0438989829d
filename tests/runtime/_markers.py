"""Find the line of a `# <- MARK` comment, so tests can assert the exact `file:line` reported."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def _lines(path: str) -> tuple[str, ...]:
    with open(path, encoding="utf-8") as fh:
        return tuple(fh.read().splitlines())


def where(path: str, mark: str) -> str:
    hits = [i + 1 for i, line in enumerate(_lines(path)) if line.rstrip().endswith(f"# <- {mark}")]
    assert len(hits) == 1, f"marker {mark!r} found {len(hits)} times in {path}"
    return f"{path}:{hits[0]}"
