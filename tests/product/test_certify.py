"""certify: policies computed from the descriptor, contracts and results (real uvicorn)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.product.builders import CONTRACT, DESCRIPTOR, ROWS, build_product, variant
from tests.product.conftest import auth

POLICIES = {
    "columns-described", "owner-and-team", "sla-declared", "quality-passes",
    "license-declared", "sensitive-classified",
}  # fmt: skip


def _serve(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str], **kw: Any
) -> str:
    return serve_app(make_app(build_product(tmp_path, **kw)))


def _policies(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in report["policies"]}


def test_failing_quality_rule_makes_the_product_not_compliant(client: httpx.Client) -> None:
    status = client.get("/certify/status").json()
    assert status["status"] == "NOT COMPLIANT"
    report = client.get("/certify/report").json()
    assert report["status"] == "NOT COMPLIANT"
    policies = _policies(report)
    assert set(policies) == POLICIES
    failed = {pid for pid, p in policies.items() if not p["certified"]}
    assert failed == {"quality-passes"}
    assert "air_quality.data_value rangeCheck = 1 rows" in policies["quality-passes"]["evidence"]
    for policy in report["policies"]:
        assert policy["area"] in {
            "privacy and security", "provenance and lineage",
            "service levels and quality", "pricing and licensing",
        }  # fmt: skip


def test_clean_data_is_certified_ok(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    rows = [{**r, "data_value": min(r["data_value"], 499.0)} for r in ROWS]
    base = _serve(tmp_path, make_app, serve_app, rows=rows)
    assert httpx.get(f"{base}/certify/status").json()["status"] == "OK"
    report = httpx.get(f"{base}/certify/report").json()
    assert all(p["certified"] for p in report["policies"])


def test_each_policy_fails_on_its_own_gap(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    descriptor = variant(DESCRIPTOR)
    del descriptor["license"]
    descriptor["owner"] = {"name": "Ada Lovelace"}
    contract = variant(CONTRACT)
    del contract["team"]
    contract["slaProperties"] = [{"property": "latency", "value": 2, "unit": "d"}]
    props = contract["schema"][0]["properties"]
    del props[1]["description"]
    props.append({"name": "contact_email", "logicalType": "string", "description": "Who to ask."})
    base = _serve(tmp_path, make_app, serve_app, descriptor=descriptor, contract=contract)
    policies = _policies(httpx.get(f"{base}/certify/report").json())
    failed = {pid for pid, p in policies.items() if not p["certified"]}
    assert failed == {
        "columns-described", "owner-and-team", "sla-declared", "license-declared",
        "sensitive-classified", "quality-passes",
    }  # fmt: skip
    assert "air_quality.name" in policies["columns-described"]["evidence"]
    assert "retention" in policies["sla-declared"]["evidence"]
    assert "air_quality.contact_email" in policies["sensitive-classified"]["evidence"]


def test_classified_sensitive_column_passes(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    contract = variant(CONTRACT)
    contract["schema"][0]["properties"][3]["criticalDataElement"] = True
    contract["schema"][0]["properties"][3]["classification"] = "restricted"
    base = _serve(tmp_path, make_app, serve_app, contract=contract)
    policy = _policies(httpx.get(f"{base}/certify/report").json())["sensitive-classified"]
    assert policy["certified"] is True
    assert policy["evidence"] == "all 1 sensitive columns are classified"


def test_publish_returns_the_report(client: httpx.Client) -> None:
    published = client.post("/certify/publish", headers=auth()).json()
    assert published["status"] == "NOT COMPLIANT"
    assert {p["id"] for p in published["policies"]} == POLICIES
