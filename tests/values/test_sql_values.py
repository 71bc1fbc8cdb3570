"""Values that a float or lenient JSON would bend, through the real gateway on DuckDB and
on the real Trino: exact decimals and non-finite floats in the graph's ``sql`` answer and
in every ``/sql/stream`` format (docs/values.md)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pyarrow as pa
import pytest

from tests.graph.conftest import ROOT, Mesh, demo_product_dirs, start_mesh

pytestmark = pytest.mark.services

ENGINES = ("duckdb", "trino")
# A float holds 15-17 significant digits: these lose their last ones as doubles
# (12345678901234567.89 -> 12345678901234568.0), and sums of tenths drift.
VALUES = """SELECT
  CAST('12345678901234567.89' AS DECIMAL(38, 2)) AS big,
  (SELECT SUM(x) FROM (
     SELECT CAST('1234567890123456.7' AS DECIMAL(38, 1)) AS x
     UNION ALL SELECT CAST('0.1' AS DECIMAL(38, 1))
     UNION ALL SELECT CAST('0.1' AS DECIMAL(38, 1))) AS t) AS summed,
  (SELECT SUM(x) FROM (
     SELECT CAST('0.1' AS DECIMAL(38, 1)) AS x
     UNION ALL SELECT CAST('0.1' AS DECIMAL(38, 1))
     UNION ALL SELECT CAST('0.1' AS DECIMAL(38, 1))) AS t) AS tenths,
  CAST('1.50' AS DECIMAL(10, 2)) AS scaled,
  CAST('NaN' AS DOUBLE) AS nan,
  CAST('Infinity' AS DOUBLE) AS inf,
  -CAST('Infinity' AS DOUBLE) AS ninf,
  CAST(0.25 AS DOUBLE) AS plain"""
NAMES = ["big", "summed", "tenths", "scaled", "nan", "inf", "ninf", "plain"]
EXPECTED = ["12345678901234567.89", "1234567890123456.9", "0.3", "1.50", "NaN", "Infinity"]
EXPECTED += ["-Infinity", 0.25]
SQL = """query($q: String!, $e: SqlEngine) { sql(query: $q, engine: $e) { rows } }"""


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses ``NaN``, ``Infinity`` and ``-Infinity``, as JSON does."""

    def refuse(word: str) -> Any:
        raise ValueError(f"not JSON: {word}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def values_mesh(tmp_path_factory: pytest.TempPathFactory, trino_url: str) -> Iterator[Mesh]:
    flood = [d for d in demo_product_dirs() if d.name == "flood-areas"]
    tmp = tmp_path_factory.mktemp("values-mesh")
    with start_mesh(tmp, flood, data_root=str(ROOT), trino_url=trino_url) as mesh:
        yield mesh


def stream(mesh: Mesh, engine: str, fmt: str) -> httpx.Response:
    answer = httpx.post(
        f"{mesh.gateway}/sql/stream",
        json={"query": VALUES, "engine": engine, "format": fmt},
        headers=mesh.headers,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer


def test_the_sum_of_tenths_is_not_what_floats_make() -> None:
    # The control: the values above really are ones a float cannot carry.
    assert repr(float(Decimal("12345678901234567.89"))) == "1.2345678901234568e+16"
    assert repr(float(Decimal("1234567890123456.9"))) == "1234567890123457.0"
    assert repr(1234567890123456.7 + 0.1 + 0.1) != "1234567890123456.9"
    assert repr(0.1 + 0.1 + 0.1) == "0.30000000000000004"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_graph_answer_is_strict_json_with_exact_decimals(
    values_mesh: Mesh, engine: str
) -> None:
    answer = httpx.post(
        f"{values_mesh.gateway}/graphql",
        json={"query": SQL, "variables": {"q": VALUES, "e": engine.upper()}},
        headers=values_mesh.headers,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    body = strict_json(answer.text)
    assert "errors" not in body, body
    assert body["data"]["sql"]["rows"] == [EXPECTED]


@pytest.mark.parametrize("engine", ENGINES)
def test_json_lines_are_strict_json_with_exact_decimals(values_mesh: Mesh, engine: str) -> None:
    lines = stream(values_mesh, engine, "jsonl").text.splitlines()
    assert [strict_json(line) for line in lines] == [dict(zip(NAMES, EXPECTED, strict=True))]


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_has_the_exact_digits_and_the_same_words(values_mesh: Mesh, engine: str) -> None:
    rows = list(csv.reader(io.StringIO(stream(values_mesh, engine, "csv").text)))
    assert rows == [NAMES, [str(v) for v in EXPECTED]]


@pytest.mark.parametrize("engine", ENGINES)
def test_arrow_keeps_decimal128_with_its_scale(values_mesh: Mesh, engine: str) -> None:
    table = pa.ipc.open_stream(stream(values_mesh, engine, "arrow").content).read_all()
    types = [table.schema.field(n).type for n in NAMES]
    assert types[:4] == [
        pa.decimal128(38, 2),
        pa.decimal128(38, 1),
        pa.decimal128(38, 1),
        pa.decimal128(10, 2),
    ]
    assert all(t == pa.float64() for t in types[4:])
    row = table.to_pylist()[0]
    assert [str(row[n]) for n in NAMES[:4]] == EXPECTED[:4]
    assert math.isnan(row["nan"]) and row["inf"] == math.inf and row["ninf"] == -math.inf


@pytest.mark.parametrize(
    "field", ["usage(since: $since) { queries }", "audit(since: $since) { edges { cursor } }"]
)
def test_a_since_without_a_zone_is_refused_not_guessed(values_mesh: Mesh, field: str) -> None:
    # SQLite read it as UTC, PostgreSQL in its session zone: one answer per store.
    query = f'query($since: DateTime) {{ product(id: "flood.flood-areas") {{ {field} }} }}'
    body = values_mesh.query(query, {"since": "2026-01-01T00:00:00"})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    assert "timezone-aware" in error["message"]
    aware = values_mesh.query(query, {"since": "2026-01-01T00:00:00+01:00"})
    assert "errors" not in aware, aware
