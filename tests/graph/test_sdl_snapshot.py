"""The committed SDL is the contract with clients: it must match the code."""

from __future__ import annotations

import difflib

from schema.sdl import SNAPSHOT, current_sdl


def test_committed_sdl_matches_the_code() -> None:
    committed = SNAPSHOT.read_text()
    current = current_sdl()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(True), current.splitlines(True), "schema.graphql", "code"
        )
    )
    assert committed == current, f"run `make schema` and commit the result:\n{diff}"
