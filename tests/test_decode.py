"""`runner.decode` answers what `tokenize.detect_encoding` + decode answers (text, or the same
error word for word), while skipping the tokenizer for files with no coding cookie."""

from __future__ import annotations

import io
import tokenize

from rea_lint.runner import decode
from tests.conftest import REPO


def _reference(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def _outcome(fn, data: bytes) -> tuple[str, str]:
    try:
        return "text", fn(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as err:
        return type(err).__name__, str(err)


CRAFTED = [
    b"",
    b"x = 1",
    b"x = 1\n",
    b"\xef\xbb\xbfx = 1\n",
    b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n",
    b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    b"#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nx = '\xe9'\n",
    b"\n# coding: latin-1\nx = '\xe9'\n",
    b"x = 1\n# coding: latin-1\nx = '\xe9'\n",  # a cookie after code: not a cookie
    b"#\n#\n# coding: latin-1\nx = '\xe9'\n",  # third line: not read
    b"# coding: nope-enc\nx = 1\n",
    b"x = '\xe9'\n",  # not UTF-8, on the first line
    b"# ok\n\n\nx = '\xe9'\n",  # not UTF-8, later
    b"s = 'coding: latin-1'\n",
    b"x = 1\r\ny = '\xc3\xa9'\r\n",
    b"\r# coding: latin-1\rx = '\xe9'\r",
    b"# coding=utf-8\nx = '\xc3\xa9'\n",
    b"\xff\xfe",
]


def test_decode_is_detect_encoding_without_the_tokenizer():
    samples = [p.read_bytes() for d in ("rea_lint", "fixtures", "examples", "tests", "benchmarks") for p in sorted((REPO / d).rglob("*.py"))]
    compared = 0
    for data in [*samples, *CRAFTED]:
        assert _outcome(decode, data) == _outcome(_reference, data), data[:80]
        compared += 1
    assert compared == len(samples) + len(CRAFTED) and len(samples) > 300
    assert _outcome(decode, CRAFTED[11])[0] == "SyntaxError"  # (the error cases are real)
    assert decode(CRAFTED[5]) == "# -*- coding: latin-1 -*-\nx = '\xe9'\n"
