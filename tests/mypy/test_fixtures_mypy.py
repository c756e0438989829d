"""mypy with rea's plugin over the linter's fixtures/: every expected code, and no other.

The linter and the plugin share fixtures, so this is the parity check between the two
enforcers: calls through libraries mypy has no types for (numpy, requests and aiohttp are
not installed here), unannotated handlers, keys bound to a local first and the transitive
chains all have to be found by the plugin too.
"""

from __future__ import annotations

from tests.conftest import FIXTURES
from tests.mypy.harness import check_directory, expected


def test_plugin_over_fixtures() -> None:
    missing, unexpected, result = check_directory(FIXTURES)
    assert not result.internal, result.internal
    assert unexpected == set(), f"false positives: {sorted(unexpected)}"
    assert missing == set(), f"missed: {sorted(missing)}"
    want = expected(FIXTURES)
    assert len(want) == 228  # the sweep: exactly this many expected findings were each reported
    assert {code for _, _, code in want} >= {"REA101", "REA108", "REA109", "REA112", "REA202", "REA204", "REA208", "REA210", "REA301", "REA302"}
