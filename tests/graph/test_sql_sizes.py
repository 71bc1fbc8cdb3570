"""A row cap is not a size cap (issue 6, hole 7), on both engines, through the gateway;
and statements that crashed the planner are refused like any other (hole 8).

``array_agg`` folds a whole table into one row: before, that row (tens of MB) came back
whole through the graph's ``sql`` and ``/sql/stream``. Now the answer is capped in bytes
(``sql_max_result_bytes``, 4 MiB by default) with ``SQL_RESULT_TOO_LARGE``; and an
engine's error message no longer quotes the values it failed on.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.graph.conftest import Mesh
from tests.graph.test_sql import SQL, run

CITIES = 'temperature."city-temperatures"'
# 7300 rows x 20 x 20 cities: 2.9 million codes (about 15 MB) folded into one row.
FOLDED = f"""SELECT array_agg(t.insee_code) AS everything
FROM {CITIES}.city_daily_temperatures t
CROSS JOIN {CITIES}.cities a CROSS JOIN {CITIES}.cities b"""
SMALL_FOLD = f"SELECT array_agg(c.city_name) AS names FROM {CITIES}.cities c"
BAD_CAST = f"SELECT CAST(c.city_name AS integer) AS n FROM {CITIES}.cities c"
ENGINES = ["DUCKDB", "TRINO"]


@pytest.fixture(scope="module")
def size_mesh(engines_mesh: Mesh) -> Mesh:
    """The demo mesh on both engines, shared with the other SQL modules (queries only)."""
    return engines_mesh


def city_names(mesh: Mesh) -> list[str]:
    answer = run(mesh, f"SELECT c.city_name FROM {CITIES}.cities c", "DUCKDB")
    names = [row[0] for row in answer["data"]["sql"]["rows"]]
    assert len(names) >= 10
    return names


@pytest.mark.parametrize("engine", ENGINES)
def test_a_table_folded_into_one_row_is_refused_in_the_graph(size_mesh: Mesh, engine: str) -> None:
    answer = run(size_mesh, FOLDED, engine)
    assert answer.get("data") is None or answer["data"].get("sql") is None, "the row came back"
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "SQL_RESULT_TOO_LARGE", error


@pytest.mark.parametrize("engine", ENGINES)
def test_a_table_folded_into_one_row_is_refused_on_the_stream(size_mesh: Mesh, engine: str) -> None:
    answer = httpx.post(
        f"{size_mesh.gateway}/sql/stream",
        json={"query": FOLDED, "engine": engine.lower(), "format": "jsonl"},
        headers=size_mesh.headers,
        timeout=120,
    )
    assert answer.status_code == 422, answer.text[:200]
    assert answer.json()["error"]["code"] == "SQL_RESULT_TOO_LARGE"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_small_fold_still_answers(size_mesh: Mesh, engine: str) -> None:
    answer = run(size_mesh, SMALL_FOLD, engine)
    assert "errors" not in answer, answer
    assert sorted(answer["data"]["sql"]["rows"][0][0]) == sorted(city_names(size_mesh))


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_errors_do_not_quote_the_values(size_mesh: Mesh, engine: str) -> None:
    answer = run(size_mesh, BAD_CAST, engine)
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "SQL_ENGINE_ERROR", error
    message = error["message"]
    assert "ERROR" in message.upper() or "CAST" in message.upper()
    assert len(message) <= 240
    leaked = [name for name in city_names(size_mesh) if name in message]
    assert not leaked, message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lone_surrogate_is_sql_invalid_not_an_internal_error(
    size_mesh: Mesh, engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Valid JSON ("\\ud800" escaped) that decodes to a str no UTF-8 encoder accepts.
    body = {"query": SQL, "variables": {"q": "SELECT '\ud800' AS x", "e": engine}}
    answer = httpx.post(
        f"{size_mesh.gateway}/graphql",
        content=json.dumps(body).encode("ascii"),
        headers={**size_mesh.headers, "content-type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    (error,) = answer.json()["errors"]
    assert error["extensions"]["code"] == "SQL_INVALID", error
    # Recorded (usage and audit) with the surrogate escaped, not lost with a traceback.
    failures = [
        r for r in caplog.records if r.levelname == "ERROR" and r.name.startswith("gateway")
    ]
    assert not failures, [r.getMessage() for r in failures]
