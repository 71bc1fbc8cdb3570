"""Engine error messages as a caller may read them: the error's name and a short line.

An engine explains a failure with the data it failed on: a conversion error quotes the
column's value, a JSON error its input, an overflow its operands, an I/O error the file's
absolute path. The message a caller gets keeps the first line only, with quoted strings,
long numbers and paths replaced by ``…``, cut to :data:`MAX_MESSAGE_CHARS`. The engine's
own words stay in the gateway's log at debug level for the operator.
"""

from __future__ import annotations

import re

MAX_MESSAGE_CHARS = 200
MASK = "…"

_QUOTED = re.compile(r"'(?:[^']|'')*'?")
_PATH = re.compile(r"(?:[A-Za-z]:\\|~?/)[^\s'\"]*[/\\][^\s'\"]*|file:\S+")
_NUMBER = re.compile(r"\d+[.,]\d+|\d{4,}")
# Whatever follows these words is the input the engine failed on.
_INPUT = re.compile(r"\b(?:Input|input|value|Value)\s*[:=].*$")


def public_message(text: str, *, limit: int = MAX_MESSAGE_CHARS) -> str:
    """The first non-empty line of ``text`` without values or paths, at most ``limit``
    characters.

    >>> public_message("Conversion Error: Could not convert string 'sk-123' to INT32\\nLINE 1")
    'Conversion Error: Could not convert string … to INT32'
    >>> public_message("IO Error: No files found that match the pattern /srv/data/x.parquet")
    'IO Error: No files found that match the pattern …'
    >>> public_message("Out of Range Error: Overflow in multiplication of INT32 (46341 * 46341)!")
    'Out of Range Error: Overflow in multiplication of INT32 (… * …)!'
    >>> public_message("Malformed JSON at byte 0 of input: {secret}")
    'Malformed JSON at byte 0 of …'
    """
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    line = _QUOTED.sub(MASK, line)
    line = _INPUT.sub(MASK, line)
    line = _PATH.sub(MASK, line)
    line = _NUMBER.sub(MASK, line)
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + MASK
    return line
