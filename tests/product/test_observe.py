"""observe: health and metrics from the real data, observability results (real uvicorn)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contracts import parse_result
from tests.product.builders import ROWS, TABLE, build_product, write_parquet


def _results_by(results: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["element"], r["property"]): r for r in results}


def test_health_counts_the_rows_written_and_their_newest_time(client: httpx.Client) -> None:
    health = client.get("/observe/health").json()
    assert health["status"] == "UP"
    assert health["state"] == "running"
    newest = max(r["observed_at"] for r in ROWS)
    assert health["tables"] == [
        {"name": TABLE, "rowCount": len(ROWS), "lastUpdated": newest.strftime("%Y-%m-%dT%H:%M:%SZ")}
    ]
    store = next(c for c in health["checks"] if c["name"] == "store")
    assert store["status"] == "UP" and store["latencyMs"] >= 0


def test_health_follows_the_data_as_it_changes(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    base = serve_app(make_app(product_dir))
    data = product_dir.parent / "data" / "air_quality.parquet"
    extra = {**ROWS[0], "unique_id": 200001}
    write_parquet(data, [*ROWS, extra])
    assert httpx.get(f"{base}/observe/health").json()["tables"][0]["rowCount"] == len(ROWS) + 1
    data.unlink()
    health = httpx.get(f"{base}/observe/health").json()
    assert health["status"] == "DOWN"
    assert "no data files" in health["checks"][0]["message"]
    assert health["tables"][0]["rowCount"] is None


def test_health_is_cached_for_the_probe_ttl(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    base = serve_app(make_app(product_dir, probe_ttl=60.0))
    first = httpx.get(f"{base}/observe/health").json()
    assert first["tables"][0]["rowCount"] == len(ROWS)
    write_parquet(product_dir.parent / "data" / "air_quality.parquet", ROWS[:2])
    # The change is there to see (an uncached probe sees it); the cached answer keeps
    # what it saw.
    uncached = serve_app(make_app(product_dir, probe_ttl=0.0))
    assert httpx.get(f"{uncached}/observe/health").json()["tables"][0]["rowCount"] == 2
    again = httpx.get(f"{base}/observe/health").json()
    # checkedAt is the time of each answer; what was probed is the cached part.
    assert {k: v for k, v in again.items() if k != "checkedAt"} == {
        k: v for k, v in first.items() if k != "checkedAt"
    }
    assert again["tables"][0]["rowCount"] == len(ROWS)


def test_health_is_degraded_when_the_data_is_older_than_its_latency_sla(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    from datetime import timedelta

    old = [{**r, "observed_at": r["observed_at"] - timedelta(days=10)} for r in ROWS]
    base = serve_app(make_app(build_product(tmp_path, rows=old)))
    health = httpx.get(f"{base}/observe/health").json()
    assert health["status"] == "DEGRADED"
    fresh = next(c for c in health["checks"] if c["name"] == f"freshness:{TABLE}")
    assert fresh["status"] == "DEGRADED" and "SLA allows 2 d" in fresh["message"]
    latency = _results_by(httpx.get(f"{base}/observe/results").json()["results"])
    assert latency[(f"{TABLE}.observed_at", "latency")]["passed"] is False


def test_metrics_count_requests_and_consumed_rows(client: httpx.Client) -> None:
    before = client.get("/observe/metrics").json()
    assert before["consume"] == {"requests": 0, "rowsServed": 0}
    assert client.get(f"/consume/{TABLE}", params={"limit": 3}).status_code == 200
    assert client.get(f"/consume/{TABLE}", params={"offset": 4}).status_code == 200
    after = client.get("/observe/metrics").json()
    assert after["consume"] == {"requests": 2, "rowsServed": 4}
    assert after["requests"]["byRoute"]["/consume/{table}"] == 2
    assert after["requests"]["total"] == before["requests"]["total"] + 3
    assert after["uptimeSeconds"] >= before["uptimeSeconds"]
    table = after["tables"][0]
    assert table["name"] == TABLE and table["rowCount"] == len(ROWS) and table["bytes"] > 0


def test_results_run_the_contract_rules_on_the_data(client: httpx.Client) -> None:
    asked = datetime.now(UTC)
    results = client.get("/observe/results").json()["results"]
    answered = datetime.now(UTC)
    for doc in results:
        parse_result(doc)  # every result is a valid OORS document
    by = _results_by(results)
    failing = by[(f"{TABLE}.data_value", "rangeCheck")]
    assert (failing["criteria"], failing["value"], failing["unit"]) == ("dq", 1, "rows")
    assert failing["passed"] is False
    assert failing["dimension"] == "conformity" and failing["severity"] == "error"
    assert by[(f"{TABLE}.unique_id", "rangeCheck")]["passed"] is True
    assert by[(f"{TABLE}.unique_id", "required")]["value"] == 0.0
    assert by[(f"{TABLE}.unique_id", "unique")]["passed"] is True
    nulls = by[(f"{TABLE}.borough", "nullCheck")]
    assert (nulls["value"], nulls["unit"], nulls["passed"]) == (20.0, "percent", True)
    rows = by[(TABLE, "rowCount")]
    assert (rows["value"], rows["passed"]) == (len(ROWS), True)
    latency = by[(f"{TABLE}.observed_at", "latency")]
    assert latency["criteria"] == "sla" and latency["unit"] == "d" and latency["passed"] is True
    # The kit measures the age of the newest row when it answers (the rows were made at
    # NOW, which may be long before on a slow run).
    newest = max(r["observed_at"] for r in ROWS)
    youngest, oldest = ((t - newest).total_seconds() / 86400 for t in (asked, answered))
    assert youngest - 0.001 <= latency["value"] <= oldest + 0.001
    assert sum(1 for r in results if r["passed"] is False) == 1


def test_result_ids_are_stable_and_distinct(client: httpx.Client) -> None:
    first = [r["id"] for r in client.get("/observe/results").json()["results"]]
    second = [r["id"] for r in client.get("/observe/results").json()["results"]]
    assert first == second
    assert len(set(first)) == len(first)


def test_duplicates_and_nulls_are_counted(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    rows = [*ROWS, {**ROWS[1], "data_value": 1.0}, {**ROWS[2], "unique_id": None}]
    base = serve_app(make_app(build_product(tmp_path, rows=rows)))
    by = _results_by(httpx.get(f"{base}/observe/results").json()["results"])
    assert by[(f"{TABLE}.unique_id", "unique")]["value"] == 1
    assert by[(f"{TABLE}.unique_id", "unique")]["passed"] is False
    required = by[(f"{TABLE}.unique_id", "required")]
    assert required["value"] == pytest.approx(100 / 7, rel=1e-6) and required["passed"] is False
