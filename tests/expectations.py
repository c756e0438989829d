"""Read the `# expect: REA101, REA201` markers that fixtures put on offending lines."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

MARKER = re.compile(r"#\s*expect:\s*(REA\d{3}(?:\s*,\s*REA\d{3})*)")


def expected(path: Path, root: Path | None = None) -> Counter[tuple[str, int, str]]:
    """(file, line, code) -> how many times it is expected."""
    name = str(path.relative_to(root)) if root else path.name
    out: Counter[tuple[str, int, str]] = Counter()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = MARKER.search(line)
        if m:
            for code in m.group(1).split(","):
                out[(name, lineno, code.strip())] += 1
    return out


def expected_dir(directory: Path) -> Counter[tuple[str, int, str]]:
    out: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(directory.glob("*.py")):
        out += expected(path, directory)
    return out
