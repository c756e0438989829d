"""The scale corpora's cross-module helper chains are real chains that `rea check` follows.

The generator knows which handler code reaches a `time.time()` through helpers of other
modules (`corpus.chain_findings`); `rea check` on the written project must report a transitive
REA101 at exactly those files, so the scale benchmark measures the project-wide analysis doing
real work rather than a graph with nothing to find.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks import corpus

REPO = Path(__file__).resolve().parents[1]
COUNT, PER_DIR = 150, 25


def test_cross_module_chains_are_found_by_rea_check(tmp_path: Path) -> None:
    generated = corpus.generate(tmp_path / "proj", COUNT, corpus.DEFAULT_SEED, per_dir=PER_DIR, chains=True)
    assert len(generated.files) == COUNT
    expected = corpus.chain_findings(corpus.DEFAULT_SEED, COUNT, PER_DIR)
    links = [corpus.chain_link(corpus.DEFAULT_SEED, i, PER_DIR) for i in range(COUNT)]
    crossing = [link for link in links if link.calls is not None and link.calls // PER_DIR != link.index // PER_DIR]
    assert len(expected) >= 2 and crossing, "the seed no longer plants chains worth checking"

    proc = subprocess.run([sys.executable, "-m", "rea_lint", "check", "--no-cache", "--jobs", "1", "."],
                          cwd=generated.root, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    found = {m.group(1) for m in re.finditer(r"^(\S+?\.py):\d+:\d+: REA101 .*via chain_\d+\(\)", proc.stdout, re.M)}
    assert found == expected
    # and at least one reported chain runs through a helper of another module
    assert any("-> chain_" in line for line in proc.stdout.splitlines() if "via chain_" in line)
