"""mypy with rea's plugin over the linter's fixtures/: no false positive, and every miss explained.

The linter and the plugin share fixtures. What the plugin cannot see is listed here with its
reason, so the list can only shrink: a newly caught case fails this test until it is removed.
"""

from __future__ import annotations

from tests.conftest import FIXTURES
from tests.mypy.harness import check_directory

_UNTYPED_LIBRARIES = {  # numpy / requests / aiohttp are not installed: mypy sees Any
    ("rea102_random_in_handler.py", 37, "REA102"),
    ("rea102_random_in_handler.py", 38, "REA102"),
    ("rea108_io_in_handler.py", 26, "REA108"),
    ("rea108_io_in_handler.py", 29, "REA108"),
    ("rea108_io_in_handler.py", 38, "REA108"),
    ("rea108_io_in_handler.py", 39, "REA108"),
    ("rea108_io_in_handler.py", 40, "REA108"),
    ("rea108_io_in_handler.py", 41, "REA108"),
    ("rea108_io_in_handler.py", 42, "REA108"),
}
_SYNTAX_ONLY = {
    ("rea108_io_in_handler.py", 53, "REA108"),  # `p.unlink()`: pathlib's mutators are the linter's list
    ("rea109_env_in_handler.py", 24, "REA109"),  # `dict(os.environ)`: a copy through a constructor
    ("rea202_state_write_in_shared_handler.py", 24, "REA202"),  # unannotated handler: mypy skips its body
    ("rea301_redundant_idempotency_key.py", 20, "REA301"),  # key assigned to a local first
    ("rea302_nondeterministic_idempotency_key.py", 20, "REA302"),  # key assigned to a local first
}
_TRANSITIVE = {  # the chain through project functions is the linter's (RULES.md "Transitive findings")
    ("transitive_same_module.py", line, code)
    for line, code in [(79, "REA101"), (80, "REA102"), (81, "REA108"), (82, "REA109"), (83, "REA105"),
                       (84, "REA110"), (85, "REA103"), (86, "REA101"), (87, "REA101"), (87, "REA108"), (88, "REA101")]
}
KNOWN_GAPS = _UNTYPED_LIBRARIES | _SYNTAX_ONLY | _TRANSITIVE


def test_plugin_over_fixtures() -> None:
    missing, unexpected, result = check_directory(FIXTURES)
    assert not result.internal, result.internal
    assert unexpected == set(), f"false positives: {sorted(unexpected)}"
    assert missing == KNOWN_GAPS, f"newly missed: {sorted(missing - KNOWN_GAPS)}; now caught: {sorted(KNOWN_GAPS - missing)}"
    assert len(result.findings) >= 120  # the sweep: every other expected finding was reported
