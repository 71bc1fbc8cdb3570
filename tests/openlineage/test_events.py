"""The events of one recorded query, built without a server: the terminal state each
outcome maps to, all valid by the OpenLineage schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gateway.federation.records import QueryRecord
from gateway.openlineage import query_run, to_json
from tests.openlineage.spec_check import validate_event


def record(outcome: str, message: str | None = None) -> QueryRecord:
    return QueryRecord(
        caller="alice",
        sql="SELECT 1",
        engine="duckdb",
        outcome=outcome,
        rows=0,
        elapsed_ms=250.0,
        plan=None,
        at=datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC),
        error_message=message,
    )


@pytest.mark.parametrize(
    ("outcome", "message", "state", "error"),
    [
        ("ok", None, "COMPLETE", None),
        ("CANCELLED", None, "ABORT", None),  # a stream its caller closed
        ("SQL_TIMEOUT", "the query ran past 30 s", "FAIL", "the query ran past 30 s"),
        ("SQL_STREAM_TOO_LARGE", None, "FAIL", "SQL_STREAM_TOO_LARGE"),  # no message: code
    ],
)
def test_each_outcome_ends_its_run(
    outcome: str, message: str | None, state: str, error: str | None
) -> None:
    run = query_run(record(outcome, message), namespace="mesh-a")
    start, end = json.loads(to_json(run.start)), json.loads(to_json(run.end))
    for event in (start, end):
        validate_event(event)
    assert (start["eventType"], end["eventType"]) == ("START", state)
    assert start["eventTime"] == "2026-12-01T11:59:59.750+00:00"  # when it began
    assert end["eventTime"] == "2026-12-01T12:00:00.000+00:00"
    assert end["job"]["namespace"] == "mesh-a"
    assert end["run"]["facets"].get("errorMessage", {}).get("message") == error
    assert "alice" not in to_json(run.end)  # the caller is not in the event
