"""The warnings header of ``/sql/stream`` stays valid JSON and bounded, whatever the
products' contracts make the notes say (their ids and versions are the products' words)."""

from __future__ import annotations

import json

from gateway.federation.notes import Note
from gateway.http.sql_stream import WARNINGS_MAX_BYTES, warnings_header


def test_many_long_notes_are_cut_to_the_bound_and_say_so() -> None:
    notes = [Note("END_OF_LIFE_PASSED", "é" + "x" * 5000, f"p{i}") for i in range(200)]
    text = warnings_header(notes)
    assert len(text) <= WARNINGS_MAX_BYTES and text.isascii()
    items = json.loads(text)
    assert items[-1]["code"] == "WARNINGS_TRUNCATED"
    kept = items[:-1]
    assert kept and all(len(i["message"]) <= 300 for i in kept)
    assert items[-1]["message"] == f"{200 - len(kept)} more notes"


def test_a_few_notes_are_all_there() -> None:
    notes = [Note("END_OF_SUPPORT_NEAR", f"contract c{i} soon", "p") for i in range(3)]
    assert [i["message"] for i in json.loads(warnings_header(notes))] == [
        "contract c0 soon", "contract c1 soon", "contract c2 soon",
    ]  # fmt: skip
