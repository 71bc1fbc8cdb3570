"""Each federated query (the graph's ``sql`` field and ``/sql/stream``) is written to the
file sink as an OpenLineage run: one START and one terminal event with the same runId,
valid by the OpenLineage JSON schema, naming the product tables read, and carrying
nothing private (no file path, host or engine SQL)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.graph.conftest import ROOT
from tests.openlineage.conftest import LineageMesh, lineage_mesh, wait_for
from tests.openlineage.spec_check import validate_event

US = 'precipitation."us-precipitation"'
JOIN = (
    f"SELECT s.state_code, count(*) AS days /* {{tag}} */ FROM {US}.us_stations s "
    f"JOIN {US}.us_daily_precipitation d ON d.station_id = s.station_id GROUP BY 1"
)


@pytest.fixture(scope="module")
def events_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LineageMesh, Path]]:
    tmp = tmp_path_factory.mktemp("lineage-file")
    path = tmp / "lineage" / "events.jsonl"
    with lineage_mesh(tmp, openlineage_sink="file", openlineage_file=str(path)) as started:
        yield started, path


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def events_of(path: Path, tag: str, count: int = 2) -> list[dict[str, Any]]:
    """The events of the queries whose statement carries ``tag``, once ``count`` are in."""

    def mine() -> list[dict[str, Any]]:
        found = [json.loads(line) for line in lines(path) if tag in line]
        return [e for e in found if tag in e["job"]["facets"]["sql"]["query"]]

    wait_for(lambda: len(mine()) >= count)
    return mine()


def test_a_query_is_one_run_a_start_and_a_complete_valid_by_the_spec(
    events_mesh: tuple[LineageMesh, Path],
) -> None:
    mesh, path = events_mesh
    statement = JOIN.format(tag="complete-1")
    answer = mesh.sql(statement)
    assert "errors" not in answer, answer
    start, end = events_of(path, "complete-1")
    for event in (start, end):
        validate_event(event)
    assert (start["eventType"], end["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == end["run"]["runId"]
    assert start["eventTime"] <= end["eventTime"]
    assert end["job"]["namespace"] == "meshgate"
    assert end["job"]["name"].startswith("sql.")
    assert end["job"]["facets"]["sql"]["query"] == statement
    assert end["run"]["facets"]["processing_engine"]["name"] == "duckdb"
    # The answer is the output; its state_code is us_stations.state_code as is, and its
    # days (count(*)) reads no column: the columnLineage facet says so.
    (output,) = end["outputs"]
    assert (output["namespace"], output["name"]) == ("meshgate", end["job"]["name"] + ".result")
    fields = output["facets"]["columnLineage"]["fields"]
    assert fields == {
        "state_code": {
            "inputFields": [
                {
                    "namespace": "meshgate://precipitation",
                    "name": "precipitation.us-precipitation.us_stations",
                    "field": "state_code",
                    "transformations": [
                        {"type": "DIRECT", "subtype": "IDENTITY", "masking": False}
                    ],
                }
            ]
        }
    }
    assert start["outputs"] == end["outputs"]
    # The inputs are the tables the graph says the query read, with those columns.
    read = {p["table"]: sorted(p["columns"]) for p in answer["data"]["sql"]["products"]}
    inputs = {
        i["name"]: sorted(f["name"] for f in i["facets"]["schema"]["fields"]) for i in end["inputs"]
    }
    assert inputs == read
    assert set(inputs) == {
        "precipitation.us-precipitation.us_stations",
        "precipitation.us-precipitation.us_daily_precipitation",
    }
    assert {i["namespace"] for i in end["inputs"]} == {"meshgate://precipitation"}
    assert {i["facets"]["version"]["datasetVersion"] for i in end["inputs"]} == {"1.0.0"}


def test_the_same_statement_is_the_same_job_each_run_its_own(
    events_mesh: tuple[LineageMesh, Path],
) -> None:
    mesh, path = events_mesh
    # The same statement re-spaced (outside its comment, which the planner keeps).
    spaced = JOIN.format(tag="twice").replace(" JOIN ", "\n  JOIN\t").replace(" ON ", "\n ON  ")
    for statement in (JOIN.format(tag="twice"), spaced):
        assert "errors" not in mesh.sql(statement)
    events = events_of(path, "twice", count=4)
    assert len({e["job"]["name"] for e in events}) == 1
    runs = {e["run"]["runId"] for e in events}
    assert len(runs) == 2
    for run in runs:
        kinds = sorted(e["eventType"] for e in events if e["run"]["runId"] == run)
        assert kinds == ["COMPLETE", "START"]


def test_a_refused_query_is_a_failed_run_with_the_public_message(
    events_mesh: tuple[LineageMesh, Path],
) -> None:
    mesh, path = events_mesh
    answer = mesh.sql(f"SELECT 1 /* refused-1 */ FROM {US}.no_such_table")
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "TABLE_NOT_FOUND"
    start, end = events_of(path, "refused-1")
    for event in (start, end):
        validate_event(event)
    assert (start["eventType"], end["eventType"]) == ("START", "FAIL")
    assert start["run"]["runId"] == end["run"]["runId"]
    assert end["run"]["facets"]["errorMessage"]["message"] == error["message"]
    assert end["inputs"] == []


def test_a_query_the_engine_fails_is_a_failed_run_with_the_public_message(
    events_mesh: tuple[LineageMesh, Path],
) -> None:
    """Planned, then failed in DuckDB: the run read its table and failed; the event says
    what the caller was told, not the engine's own text (which names its relations)."""
    mesh, path = events_mesh
    answer = mesh.sql(
        f"SELECT CAST(station_name AS INTEGER) AS n /* engine-1 */ FROM {US}.us_stations"
    )
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "SQL_ENGINE_ERROR", error
    start, end = events_of(path, "engine-1")
    for event in (start, end):
        validate_event(event)
    assert (start["eventType"], end["eventType"]) == ("START", "FAIL")
    assert end["run"]["facets"]["errorMessage"]["message"] == error["message"]
    assert [i["name"] for i in end["inputs"]] == ["precipitation.us-precipitation.us_stations"]
    assert "precipitation__us_precipitation" not in json.dumps(end)


def test_a_stream_is_a_run_too(events_mesh: tuple[LineageMesh, Path]) -> None:
    mesh, path = events_mesh
    statement = f"SELECT station_id /* stream-1 */ FROM {US}.us_stations"
    response = httpx.post(
        f"{mesh.mesh.gateway}/sql/stream",
        json={"query": statement, "engine": "duckdb", "format": "csv"},
        headers=mesh.mesh.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    start, end = events_of(path, "stream-1")
    for event in (start, end):
        validate_event(event)
    assert (start["eventType"], end["eventType"]) == ("START", "COMPLETE")
    assert [i["name"] for i in end["inputs"]] == ["precipitation.us-precipitation.us_stations"]
    assert [f["name"] for f in end["inputs"][0]["facets"]["schema"]["fields"]] == ["station_id"]


def test_no_event_names_a_file_path_host_or_the_engine_sql(
    events_mesh: tuple[LineageMesh, Path],
) -> None:
    """The contracts locate their tables by file path (``demo/data/us-precipitation/
    {table}.parquet``) and the engine runs its own SQL over physical relations, shown to
    admins only (``executedSql``). None of it may leave in a lineage event."""
    mesh, path = events_mesh
    answer = mesh.sql(JOIN.format(tag="private-1"))
    executed = answer["data"]["sql"]["executedSql"]
    physical = "precipitation__us_precipitation__us_stations"
    assert physical in executed  # the private detail exists (so its absence below means it)
    events_of(path, "private-1")
    text = path.read_text()
    data = str(ROOT / "demo" / "data")
    hosts = [base.removeprefix("http://") for base in mesh.mesh.products.values()]
    private = [data, "demo/data", ".parquet", "read_parquet", executed, physical, "executedSql"]
    for detail in private:
        assert detail not in text, detail
    for host in [*hosts, mesh.mesh.gateway.removeprefix("http://"), "127.0.0.1"]:
        assert host not in text, host
    assert not names_port(text, "55432"), "PostgreSQL's port"
    for line in lines(path):
        validate_event(json.loads(line))


def names_port(text: str, port: str) -> bool:
    """Whether ``text`` names ``port`` as a port: after ``:``, ``=``, a space or a quote,
    not followed by a digit. A bare substring also matches digits that happen to spell
    it, in a run id (a random UUID: about 3 in 100,000 hold "55432") or a number, so the
    check could fail with no port in sight; it once failed unexplained."""
    return re.search(rf"[:=\s\"']{re.escape(port)}(?![0-9])", text) is not None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("postgresql://meshgate@127.0.0.1:55432/mesh", True),
        ("host=127.0.0.1 port=55432 dbname=mesh", True),
        ('{"port": 55432}', True),
        ("{'port': '55432'}", True),
        ('{"eventTime": "2026-12-03T13:42:11.554321Z"}', False),
        ('{"elapsedMs": 12.554329}', False),
        ('{"runId": "0f1e55432a7b"}', False),
        ("localhost:554321", False),
    ],
)
def test_a_port_is_named_only_as_a_port(text: str, named: bool) -> None:
    assert names_port(text, "55432") is named
