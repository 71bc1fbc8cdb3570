"""The pieces of bench/peer_gateways.py that decide its figures, without the peer: wrk's
report read right, the answers compared field by field, CPU read from /proc, the table.

The whole benchmark (npm, 13 processes, minutes of load) is run by hand, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.peer import question, report
from bench.peer.compose import mesh_config, peer_query
from bench.peer.load import parse_wrk, write_lua
from bench.peer.procs import cpu_seconds
from bench.peer.upstreams import Product

WRK_REPORT = """Running 2s test @ http://127.0.0.1:4000/graphql
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    95.31ms   40.12ms   1.21s    80.00%
    Req/Sec    37.10     10.20    60.00     70.00%
  Latency Distribution
     50%   87.70ms
     75%  100.12ms
     90%  150.00ms
     99%    1.21s
  146 requests in 2.00s, 1.50MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 2
Requests/sec:     72.95
Transfer/sec:    767.50KB
BAD_ANSWERS 3
"""

PRODUCTS = [
    Product("flood-areas", "http://127.0.0.1:20001"),
    Product("us-precipitation", "http://127.0.0.1:20002"),
]


def rows(**changes: object) -> list[question.Row]:
    base = [
        {"id": "a", "name": "Flood", "domain": "flood", "owner": "Grace", "tags": ["h3"],
         "description": "areas", "health": "UP"},
        {"id": "b", "name": "Rain", "domain": "precipitation", "owner": "Ada", "tags": [],
         "description": None, "health": "UP"},
    ]  # fmt: skip
    base[1].update(changes)
    return base


def test_wrk_report_gives_rate_percentiles_in_ms_and_every_kind_of_error() -> None:
    load = parse_wrk(WRK_REPORT, connections=8)
    assert (load.requests, load.in_flight, load.seconds) == (146, 8, 2.0)
    assert load.rps == 72.95
    assert load.p50_ms == pytest.approx(87.7)
    assert load.p99_ms == pytest.approx(1210.0)  # "1.21s"
    # 3 bad answers (the 2 non-2xx among them) and 3 socket errors: none counted twice.
    assert load.errors == 6


def test_wrk_report_without_the_latency_distribution_is_refused() -> None:
    broken = WRK_REPORT.replace("     99%    1.21s\n", "")
    with pytest.raises(SystemExit, match="cannot read wrk's report"):
        parse_wrk(broken, connections=8)


def test_lua_script_posts_the_query_as_json(tmp_path: Path) -> None:
    script = write_lua(tmp_path / "q.lua", '{ products { id } "x" }').read_text()
    body = script.split("[==[")[1].split("]==]")[0]
    assert json.loads(body) == {"query": '{ products { id } "x" }'}
    assert 'wrk.method = "POST"' in script
    with pytest.raises(ValueError):
        write_lua(tmp_path / "bad.lua", "]==]")


def test_answers_of_each_shape_become_the_same_rows() -> None:
    meta = {"id": "b", "name": "Rain", "domain": "precipitation", "tags": [],
            "description": None}  # fmt: skip
    flood = {"id": "a", "name": "Flood", "domain": "flood", "tags": ["h3"],
             "description": "areas"}  # fmt: skip
    meshgate = {"data": {"products": {"edges": [
        {"node": {**meta, "owner": "Ada", "health": {"status": "DEGRADED",
                                                     "reportedStatus": "UP"}}},
        {"node": {**flood, "owner": "Grace", "health": {"status": "UP",
                                                        "reportedStatus": "UP"}}},
    ]}}}  # fmt: skip
    peer = {"data": {
        "m0": {**flood, "owner": {"name": "Grace", "email": "g@x"}}, "h0": {"status": "UP"},
        "m1": {**meta, "owner": {"name": "Ada"}}, "h1": {"status": "UP"},
    }}  # fmt: skip
    direct = [
        {"metadata": {**meta, "owner": {"name": "Ada"}}, "health": {"status": "UP"}},
        {"metadata": {**flood, "owner": {"name": "Grace"}}, "health": {"status": "UP"}},
    ]
    expected = rows()
    assert question.meshgate_rows(meshgate) == expected
    assert question.peer_rows(peer, 2) == expected
    assert question.direct_rows(direct) == expected


@pytest.mark.parametrize(
    ("other", "said"),
    [
        (rows(health="DOWN"), "health is 'DOWN'"),
        (rows(tags=["rain"]), "tags is ['rain']"),
        (rows(owner=None), "owner is None"),
        (rows()[:1], "missing product b"),
    ],
)
def test_a_gateway_whose_answer_differs_stops_the_run(other: list[question.Row], said: str) -> None:
    with pytest.raises(SystemExit, match="does not carry") as caught:
        question.same_data(rows(), other, "a gateway", products=2)
    assert said in str(caught.value)


def test_the_reference_must_have_every_product() -> None:
    with pytest.raises(SystemExit, match="found 2 products, not 9"):
        question.same_data(rows(), rows(), "a gateway", products=9)


def test_graphql_answer_with_errors_stops_the_run() -> None:
    with pytest.raises(SystemExit, match="answered with errors"):
        question.peer_rows({"data": None, "errors": [{"message": "boom"}]}, 2)


def test_peer_config_prefixes_each_product_and_calls_it_on_loopback() -> None:
    config = mesh_config(PRODUCTS)
    assert config.count("loadOpenAPISubgraph(") == 2  # one source per product
    assert '"http://127.0.0.1:20001/discover/openapi.json"' in config
    assert 'endpoint: "http://127.0.0.1:20002"' in config
    assert 'value: "us_precipitation_", includeRootOperations: true' in config
    query = peer_query(PRODUCTS)
    assert query.count("_getDiscoverMetadata {") == 2
    assert query.count("_getObserveHealth {") == 2
    assert "m1: us_precipitation_getDiscoverMetadata" in query


def test_cpu_of_a_process_counts_its_reaped_children() -> None:
    before = cpu_seconds(os.getpid())
    burn = "import time\nwhile time.process_time() < 0.3: pass"
    subprocess.run([sys.executable, "-c", burn], check=True, timeout=60)
    assert cpu_seconds(os.getpid()) - before >= 0.25


def test_table_has_medians_ratios_and_a_dash_for_no_gateway() -> None:
    windows = [
        {"gateway": "g", "c": 8, "rps": r, "p50_ms": 10.0, "p99_ms": 20.0,
         "cpu_ms_per_request": 2.0, "upstream_per_request": 0.0, "errors": 0}
        for r in (100.0, 300.0, 200.0)
    ] + [
        {"gateway": "ref", "c": 8, "rps": 50.0, "p50_ms": 40.0, "p99_ms": 150.0,
         "cpu_ms_per_request": None, "upstream_per_request": 18.0, "errors": 1}
    ]  # fmt: skip
    found = report.with_ratios(report.medians(windows, ["g", "ref"]), "ref")
    assert [(r["gateway"], r["rps"], r["rps_ratio"]) for r in found] == [
        ("g", 200.0, 4.0), ("ref", 50.0, 1.0),
    ]  # fmt: skip
    text = report.table(found, "ref")
    assert "| g | 8 | 200 | 10.0 | 20.0 | 2.0 | 0.0 | 4.00 |" in text
    assert "| ref (**1 error answers**) | 8 | 50 | 40.0 | 150 | – | 18.0 | 1.00 |" in text
