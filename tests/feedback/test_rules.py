"""What a report or a comment may say: must-accept and must-reject lists."""

from __future__ import annotations

import pytest

from gateway.errors import BadRequest
from gateway.feedback import CONTROL_CHARACTER, EMPTY, OUT_OF_RANGE, TOO_LONG
from gateway.feedback.rules import check_stars, check_text

ACCEPTED = [
    "plain",
    "tabs\tand\nline\r\nbreaks",
    "émoji 👩🏽‍💻 with a zero-width joiner",
    "RTL text is fine: مطر",
    "<script>alert(1)</script>",
    "'; DROP TABLE x; --",
    "x" * 50,
]
REFUSED = [
    ("", EMPTY),
    ("\n\t \r", EMPTY),
    ("\u3000", EMPTY),  # ideographic space is white space too
    ("x" * 51, TOO_LONG),
    ("nul\x00", CONTROL_CHARACTER),
    ("bell\x07", CONTROL_CHARACTER),
    ("escape\x1b[0m", CONTROL_CHARACTER),
    ("delete\x7f", CONTROL_CHARACTER),
    ("c1\x85", CONTROL_CHARACTER),
    ("override\u202e", CONTROL_CHARACTER),
    ("isolate\u2066", CONTROL_CHARACTER),
    ("surrogate\udfff", CONTROL_CHARACTER),
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_text_is_kept_as_given(text: str) -> None:
    assert check_text(text, argument="text", max_chars=50) == text


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_text_names_its_argument_and_reason(text: str, reason: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check_text(text, argument="comment", max_chars=50)
    extensions = refused.value.extensions
    assert (extensions["code"], extensions["argument"], extensions["reason"]) == (
        "BAD_REQUEST", "comment", reason,
    )  # fmt: skip
    assert refused.value.message.startswith("comment: ")


@pytest.mark.parametrize("stars", [1, 2, 3, 4, 5])
def test_one_to_five_stars_are_accepted(stars: int) -> None:
    assert check_stars(stars) == stars


@pytest.mark.parametrize("stars", [0, 6, -5, 10**12, True])
def test_other_stars_are_refused(stars: int) -> None:
    with pytest.raises(BadRequest) as refused:
        check_stars(stars)
    assert refused.value.extensions["reason"] == OUT_OF_RANGE
