"""What a report or a rating may say, checked before anything is stored.

Feedback is text written by one caller and shown to others (in GraphiQL, on web pages,
in notifications), so it is held to a few rules; it is then stored exactly as given and
answered as a plain string, never interpreted (front-ends escape it, docs/feedback.md):

* not empty nor only white space, and at most ``max_chars`` characters;
* no control characters but tab, line feed and carriage return (a NUL, an escape
  sequence that recolours a terminal, a C1 control), no lone surrogate (not text, and
  PostgreSQL refuses it), and no bidirectional override or isolate (U+202A..U+202E,
  U+2066..U+2069), which make text read differently from what it is ("Trojan source").

Each refusal is a ``BAD_REQUEST`` naming the ``argument`` and a stable ``reason``.
"""

from __future__ import annotations

import unicodedata

from gateway.errors import BadRequest
from gateway.feedback.model import SEVERITIES, STARS

EMPTY = "EMPTY"
TOO_LONG = "TOO_LONG"
CONTROL_CHARACTER = "CONTROL_CHARACTER"
OUT_OF_RANGE = "OUT_OF_RANGE"

_ALLOWED_CONTROLS = frozenset("\t\n\r")
_BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def check_text(value: str, *, argument: str, max_chars: int) -> str:
    """``value`` when it is fit to store and show; else a ``BadRequest``.

    >>> check_text("rain is\\tlate", argument="text", max_chars=20)
    'rain is\\tlate'
    >>> check_text("  ", argument="text", max_chars=20)
    Traceback (most recent call last):
    ...
    gateway.errors.BadRequest: text: expected some text, got none or only white space
    >>> check_text("a\\x1b[31m", argument="text", max_chars=20)
    Traceback (most recent call last):
    ...
    gateway.errors.BadRequest: text: control character U+001B at 2 is not allowed
    """
    if not value.strip():
        raise _refused(argument, EMPTY, "expected some text, got none or only white space")
    if len(value) > max_chars:
        raise _refused(
            argument, TOO_LONG, f"expected at most {max_chars} characters, got {len(value)}"
        )
    for at, char in enumerate(value, start=1):
        if _forbidden(char):
            raise _refused(
                argument, CONTROL_CHARACTER,
                f"control character U+{ord(char):04X} at {at} is not allowed",
            )  # fmt: skip
    return value


def check_stars(stars: int) -> int:
    """``stars`` when it is 1 to 5.

    >>> check_stars(0)
    Traceback (most recent call last):
    ...
    gateway.errors.BadRequest: stars: expected 1 to 5, got 0
    """
    if isinstance(stars, bool) or stars not in STARS:
        raise _refused("stars", OUT_OF_RANGE, f"expected {STARS[0]} to {STARS[-1]}, got {stars}")
    return stars


def check_severity(severity: str) -> str:
    """``severity`` when it is one of :data:`SEVERITIES` (the graph's enum already is)."""
    if severity not in SEVERITIES:
        raise _refused("severity", OUT_OF_RANGE, f"expected one of {', '.join(SEVERITIES)}")
    return severity


def one_line(text: str, limit: int = 100) -> str:
    """The first line of ``text``, clipped to ``limit`` characters (an event's summary).

    >>> one_line("late data\\nsince Monday")
    'late data'
    >>> one_line("x" * 8, limit=5)
    'xxxx…'
    """
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _forbidden(char: str) -> bool:
    if char in _ALLOWED_CONTROLS:
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS


def _refused(argument: str, reason: str, message: str) -> BadRequest:
    return BadRequest(f"{argument}: {message}", argument=argument, reason=reason)
