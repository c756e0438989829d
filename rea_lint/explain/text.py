"""The error text from `--message-file` or stdin: read with a bound, decoded by its byte-order mark.

A 570 message is a few KiB, a server log record with it under 2 KiB. A file or pipe bigger than
`MAX_BYTES` is refused, not cut: `--message-file /dev/zero` never ends, and a mismatch past the
cut would be silently dropped. The refusal says how to keep only the record.

PowerShell's `>` writes UTF-16 with a byte-order mark, and some tools write UTF-32: read as
UTF-8, such text holds no 570 rea can find, so the mark decides the encoding. Without one the
text is UTF-8, with replacement characters for what is not (a log may hold stray bytes).
"""

from __future__ import annotations

import codecs
from typing import BinaryIO, TextIO

__all__ = ["MAX_BYTES", "TextError", "read_text"]

MAX_BYTES = 4 * 1024 * 1024
"""4 MiB: a thousand times a 570 record, far less than memory."""

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class TextError(ValueError):
    """The input cannot be taken as the error text; the message says why and what to do."""


def read_text(stream: BinaryIO | TextIO, name: str) -> str:
    """The text of ``stream`` (``name`` says where it comes from, for the error), at most `MAX_BYTES`
    (characters, for a stream that is text already: a replaced `sys.stdin`)."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TextError(
            f"{name} holds more than {MAX_BYTES // (1024 * 1024)} MiB: refused (a 570 error is a few KiB; rea reads "
            "no more rather than cut the text and miss a mismatch past the cut); keep only the record, e.g. "
            "`grep -m1 -B3 -A12 'Journal mismatch' server.log | rea explain`"
        )
    return data if isinstance(data, str) else decode(data)


def decode(data: bytes) -> str:
    """UTF-32, UTF-16 or UTF-8 by the byte-order mark; UTF-8 without one."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, "replace")
    return data.decode("utf-8", "replace")
