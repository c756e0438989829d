"""`rea explain` on input it must question: old code that does not parse, admin URLs and answers
of the wrong shape, input without bound, odd or partial messages.

Each case is a real file, real stdin or a real HTTP server (the standard library's, in a
thread, answering what a broken or foreign admin API might): one clear line and exit 2 for
bad input, or an explanation that says what it could not tell, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from .test_explain import V2, explain, sample

V1 = "tests/replay/corpus/v1"
PAIR = "p29_helper_renamed_run"


def test_since_code_that_does_not_parse_is_named_and_blamed_for_nothing(tmp_path: Path, capsys, monkeypatch):
    """The old file defines the service, then breaks: the handler is missing from what rea could
    read of it, which proves no code change."""
    broken = tmp_path / "old.py"
    broken.write_text('import restate\n\nsvc = restate.Service("P29_helper_renamed_run")\ndef f(:\n    pass\n')
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--since", str(broken), "--format", "json",
                              "--message", sample(f"{PAIR}.server_log.txt"))
    assert code == 0, err  # the line is still known
    assert not data["cause_decided"] and "did not exist" not in data["cause"]
    assert f"{broken}:4:7: syntax error: invalid syntax" in data["cause"]
    assert data["problems"] == [f"the code --since {broken} names: {broken}:4:7: syntax error: invalid syntax"]
    # the same from a directory holding it (and its text output)
    code, data, err = explain(capsys, monkeypatch, f"{V2}/{PAIR}.py", "--since", str(tmp_path),
                              "--message", sample(f"{PAIR}.server_log.txt"))
    assert code == 0 and data is None
    assert "cannot be parsed (old.py:4:7: syntax error: invalid syntax)" in err and "did not exist" not in err
