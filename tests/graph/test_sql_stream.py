"""``/sql/stream`` against the real mesh: the whole result as CSV, JSON lines or Arrow IPC,
on DuckDB and on Trino, equal to the graph's ``sql`` answer, in bounded memory."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from gateway.federation.records import QueryRecord
from gateway.settings import Settings
from schema.asgi import create_app
from tests.federation.engines.test_trino_engine import normalised
from tests.fixtures.identity import TestIssuer
from tests.fixtures.trino import trino_connection
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import ROOT, Mesh, demo_product_dirs, start_mesh
from tests.graph.test_sql import JOIN, run

CITIES = 'temperature."city-temperatures"'
# 7300 days x 20 x 20 cities: far more rows than the gateway should ever hold at once.
BIG = f"""SELECT t.insee_code, t.observation_date, t.tmin_c, t.tmax_c, a.city_name,
  b.city_name AS other
FROM {CITIES}.city_daily_temperatures t
CROSS JOIN {CITIES}.cities a CROSS JOIN {CITIES}.cities b
LIMIT 2000000"""


@pytest.fixture(scope="module")
def stream_mesh(engines_mesh: Mesh) -> Mesh:
    """The demo mesh on both engines, shared with the other SQL modules (queries only)."""
    return engines_mesh


def stream(mesh: Mesh, query: str, engine: str, fmt: str) -> httpx.Response:
    return httpx.post(
        f"{mesh.gateway}/sql/stream",
        json={"query": query, "engine": engine, "format": fmt},
        headers=mesh.headers,
        timeout=60,
    )


def cells(row: list[Any]) -> tuple[Any, ...]:
    """A row with every value as text would write it, numbers rounded: formats compared."""

    def value(v: Any) -> Any:
        try:
            return round(float(v), 4)
        except (TypeError, ValueError):
            return "" if v is None else str(v)

    return tuple(value(v) for v in row)


def rows_of(response: httpx.Response, fmt: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(response.text)))
        return lines[0], [cells(r) for r in lines[1:]]
    if fmt == "jsonl":
        objects = [json.loads(line) for line in response.text.splitlines()]
        return list(objects[0]), [cells(list(o.values())) for o in objects]
    table = pa.ipc.open_stream(response.content).read_all()
    return table.column_names, [cells(list(r.values())) for r in table.to_pylist()]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "arrow"])
@pytest.mark.parametrize("engine", ["duckdb", "trino"])
def test_cross_product_join_streams_the_graph_answer(
    stream_mesh: Mesh, engine: str, fmt: str
) -> None:
    graph = run(stream_mesh, JOIN, engine.upper())["data"]["sql"]
    assert graph["rowCount"] > 0 and not graph["truncated"]
    response = stream(stream_mesh, JOIN, engine, fmt)
    assert response.status_code == 200, response.text
    media = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
    expected_media = media.get(fmt, "application/vnd.apache.arrow.stream")
    assert response.headers["content-type"].startswith(expected_media)
    assert response.headers["x-meshgate-engine"] == engine
    names, rows = rows_of(response, fmt)
    assert names == [c["name"] for c in graph["columns"]]
    assert rows == [cells(r) for r in graph["rows"]]


def test_both_engines_stream_the_same_arrow(stream_mesh: Mesh) -> None:
    tables = [
        pa.ipc.open_stream(stream(stream_mesh, JOIN, e, "arrow").content).read_all()
        for e in ("duckdb", "trino")
    ]
    duck, on_trino = ([tuple(r.values()) for r in t.to_pylist()] for t in tables)
    assert normalised(duck) == normalised(on_trino) and duck


def test_get_with_query_parameters(stream_mesh: Mesh) -> None:
    response = httpx.get(
        f"{stream_mesh.gateway}/sql/stream",
        params={"query": f"SELECT city_name FROM {CITIES}.cities ORDER BY 1", "format": "csv"},
        headers=stream_mesh.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    lines = response.text.splitlines()
    assert lines[0] == '"city_name"' and len(lines) == 21


def test_an_empty_result_still_has_its_columns(stream_mesh: Mesh) -> None:
    query = f"SELECT city_name, population FROM {CITIES}.cities WHERE population < 0"
    for engine in ("duckdb", "trino"):
        text = stream(stream_mesh, query, engine, "csv").text
        assert text.splitlines() == ['"city_name","population"'], (engine, text)
        table = pa.ipc.open_stream(stream(stream_mesh, query, engine, "arrow").content).read_all()
        assert (table.num_rows, table.column_names) == (0, ["city_name", "population"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"query": f"DROP TABLE {CITIES}.cities"}, 400, "SQL_NOT_ALLOWED"),
        ({"query": "SELECT * FROM read_csv('/etc/passwd')"}, 400, "SQL_NOT_ALLOWED"),
        ({"query": f"SELECT * FROM {CITIES}.citys"}, 400, "TABLE_NOT_FOUND"),
        ({"query": "SELECT 1", "format": "xml"}, 400, "BAD_REQUEST"),
        ({"query": "SELECT 1", "engine": "oracle"}, 400, "BAD_REQUEST"),
        ({"format": "csv"}, 400, "BAD_REQUEST"),
    ],
)
def test_refusals_answer_json_before_any_row(
    stream_mesh: Mesh, body: dict[str, str], status: int, code: str
) -> None:
    response = httpx.post(
        f"{stream_mesh.gateway}/sql/stream", json=body, headers=stream_mesh.headers, timeout=30
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@contextlib.contextmanager
def peak_rss_growth() -> Iterator[list[int]]:
    """The largest growth of this process's resident memory while the block runs."""
    start = rss_bytes()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_bytes() - start)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


@pytest.mark.parametrize("fmt", ["csv", "arrow"])
def test_a_large_stream_keeps_the_gateway_memory_bounded(stream_mesh: Mesh, fmt: str) -> None:
    # The gateway runs in this process: its resident memory is this process's. The body
    # is read in chunks and dropped, so what grows is what the gateway holds.
    received = 0
    with (
        peak_rss_growth() as peak,
        httpx.stream(
            "POST",
            f"{stream_mesh.gateway}/sql/stream",
            json={"query": BIG, "engine": "duckdb", "format": fmt},
            headers=stream_mesh.headers,
            timeout=120,
        ) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            received += len(chunk)
    assert received > 80_000_000  # the whole two million rows came through
    # Holding the result would take at least its size; a few batches take a few MB.
    print(f"{fmt}: {received} bytes streamed, resident memory grew by at most {peak[0]}")
    assert peak[0] < min(received // 2, 150_000_000), (peak[0], received)


def trino_query_states(marker: str) -> list[tuple[str, str | None]]:
    cursor = trino_connection(user="test").cursor()
    cursor.execute(
        "SELECT state, error_code FROM system.runtime.queries "
        f"WHERE query LIKE '%{marker}%' AND query NOT LIKE '%system.runtime%'"
    )
    return [(str(r[0]), r[1]) for r in cursor.fetchall()]


def test_a_client_leaving_cancels_the_trino_query(stream_mesh: Mesh) -> None:
    marker = f"m{uuid.uuid4().hex[:12]}"
    query = BIG.replace("SELECT t.insee_code", f"SELECT '{marker}' AS tag, t.insee_code")
    query = query.replace("LIMIT 2000000", "")
    with httpx.stream(
        "POST",
        f"{stream_mesh.gateway}/sql/stream",
        json={"query": query, "engine": "trino", "format": "csv"},
        headers=stream_mesh.headers,
        timeout=60,
    ) as response:
        assert response.status_code == 200
        assert next(response.iter_bytes())  # rows are flowing; now walk away
    deadline = time.monotonic() + 30
    states = trino_query_states(marker)
    while time.monotonic() < deadline and not any(s == "FAILED" for s, _ in states):
        time.sleep(0.1)  # polled: Trino marks the query FAILED as soon as it is cancelled
        states = trino_query_states(marker)
    assert ("FAILED", "USER_CANCELED") in states, states


async def test_the_stream_is_recorded_and_a_departed_client_stops_duckdb(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records: list[QueryRecord] = []

    class Recorder:
        async def record(self, entry: QueryRecord) -> None:
            records.append(entry)

    dirs = [d for d in demo_product_dirs() if d.name == "city-temperatures"]
    issuer = TestIssuer(tmp_path / "auth")
    admin = issuer.headers()
    config = Settings(
        registry_url=f"sqlite:///{tmp_path / 'registry.db'}",
        data_root=str(ROOT),
        sql_stream_max_rows=100_000,
        upstream_allowed_networks=LOOPBACK_ONLY,
        **issuer.settings(),
    )
    app = create_app(config)
    with start_mesh(tmp_path / "products", dirs, data_root=str(ROOT)) as products:
        product = next(iter(products.products.values()))
        with running(app) as gateway:
            # uvicorn's own logger (configured as the server starts) does not propagate to
            # the root: listen to it directly.
            server_log = logging.getLogger("uvicorn.error")
            server_log.addHandler(caplog.handler)
            federation = app.state.services.federation
            federation.recorder = Recorder()
            registered = httpx.post(
                f"{gateway}/registry/products",
                json={"url": f"{product}/discover/metadata"},
                headers=admin,
                timeout=30,
            )
            assert registered.status_code == 201, registered.text
            url = f"{gateway}/sql/stream"
            small = f"SELECT city_name FROM {CITIES}.cities"
            ok = httpx.post(url, json={"query": small}, headers=admin, timeout=30)
            assert ok.status_code == 200
            # Past sql_stream_max_rows the stream is cut: an incomplete body, never a
            # silently shorter one.
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.post(url, json={"query": BIG}, headers=admin, timeout=60).read()
            with httpx.stream(
                "POST", url, json={"query": BIG}, headers=admin, timeout=60
            ) as response:
                next(response.iter_bytes())
            deadline = time.monotonic() + 10
            while len(records) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
    server_log.removeHandler(caplog.handler)
    # The stream cut past its row cap is a refusal, logged in one line: no traceback.
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    outcomes = [(r.outcome, r.engine) for r in records]
    assert outcomes[0] == ("ok", "duckdb") and records[0].rows == 20
    assert ("SQL_STREAM_TOO_LARGE", "duckdb") in outcomes[1:]
    assert ("CANCELLED", "duckdb") in outcomes[1:]
    assert all(r.plan is not None and r.plan.products for r in records)


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
def test_an_engine_failure_before_the_first_row_is_a_json_error(
    stream_mesh: Mesh, engine: str
) -> None:
    # An integer divided by zero fails on both engines (DuckDB answered NULL before).
    query = f"SELECT population / (population - population) AS boom FROM {CITIES}.cities"
    response = stream(stream_mesh, query, engine, "csv")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "SQL_ENGINE_ERROR" and "Division by zero" in error["message"]


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
def test_a_statement_the_planner_cannot_handle_is_sql_invalid_not_a_500(
    stream_mesh: Mesh, engine: str
) -> None:
    # sqlglot raised an AssertionError on it: before, HTTP 500 from the stream route.
    response = stream(stream_mesh, "SELECT * ORDER BY 1", engine, "csv")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "SQL_INVALID"
