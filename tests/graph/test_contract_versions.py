"""Contract versions in the graph: compareContracts, the registry's flag of a breaking change
published without a major bump, and end-of-support / end-of-life warnings on the product and
on SQL answers. Real servers: product kits and the gateway under uvicorn."""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import default_slug
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import running
from tests.graph.conftest import ROOT, Mesh, start_mesh
from tests.product.builders import CONTRACT, CONTRACT_ID, DESCRIPTOR_V1, build_product, variant

COMPARE = """
query($from: ContractVersionInput!, $to: ContractVersionInput!) {
  compareContracts(from: $from, to: $to) {
    changes { path kind severity message } changeCount requiredBump declaredBump compatible
  }
}"""
WARNINGS = "query($id: ID!) { product(id: $id) { warnings { code contractId contractVersion path message } } }"  # noqa: E501
BREAKING = "breaking_change_without_major_bump"


def product_folder(
    root: Path, name: str, version: str, *, drop_borough: bool = False, sla: Any = None
) -> tuple[Path, str]:
    """A kit folder publishing ``CONTRACT`` at ``version`` for product ``name``; its id."""
    product_id = f"0b7d1f0e-9a52-4c39-8d44-{zlib.crc32(name.encode()) % 10**12:012d}"
    contract_id = CONTRACT_ID[:-3] + f"{zlib.crc32(name.encode()) % 1000:03d}"
    descriptor = variant(DESCRIPTOR_V1)
    descriptor.update(id=product_id, name=name)
    descriptor["outputPorts"][0].update(version=version, contractId=contract_id)
    contract = variant(CONTRACT)
    contract.update(id=contract_id, version=version)
    if drop_borough:
        contract["schema"][0]["properties"] = [
            p for p in contract["schema"][0]["properties"] if p["name"] != "borough"
        ]
    if sla is not None:
        contract["slaProperties"] = sla
    return build_product(root / f"{name}-{version}", descriptor=descriptor, contract=contract), (
        product_id
    )


@contextlib.contextmanager
def kit(folder: Path) -> Iterator[str]:
    with running(create_product_app(folder, token="t", env={})) as base:
        yield base


def register(mesh: Mesh, base: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        f"{mesh.gateway}/registry/products",
        json={"url": f"{base}/discover/metadata"},
        headers=mesh.headers if headers is None else headers,
        timeout=30,
    )


def codes(mesh: Mesh, product_id: str) -> list[dict[str, Any]]:
    body = mesh.query(WARNINGS, {"id": product_id})
    assert "errors" not in body, body
    return body["data"]["product"]["warnings"]  # type: ignore[no-any-return]


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[Mesh]:
    with start_mesh(tmp_path / "mesh", [], sql_data_roots=str(tmp_path)) as started:
        yield started


def test_a_removed_column_published_as_a_minor_version_is_flagged(
    mesh: Mesh, tmp_path: Path
) -> None:
    v1, pid = product_folder(tmp_path, "Versions minor", "1.0.0")
    v11, _ = product_folder(tmp_path, "Versions minor", "1.1.0", drop_borough=True)
    with kit(v1) as base:
        assert register(mesh, base).status_code == 201
        assert BREAKING not in {w["code"] for w in codes(mesh, pid)}
    with kit(v11) as base:
        # Never refused: the owner is told, not locked out.
        assert register(mesh, base).status_code == 201
        [flag] = [w for w in codes(mesh, pid) if w["code"] == BREAKING]
    assert flag["contractVersion"] == "1.1.0"
    assert flag["path"] == "version 1.0.0 -> 1.1.0"
    assert "properties[borough]" in flag["message"] and "minor version bump" in flag["message"]


def test_the_same_change_as_a_major_version_is_not_flagged(mesh: Mesh, tmp_path: Path) -> None:
    v1, pid = product_folder(tmp_path, "Versions major", "1.0.0")
    v2, _ = product_folder(tmp_path, "Versions major", "2.0.0", drop_borough=True)
    with kit(v1) as base:
        assert register(mesh, base).status_code == 201
    with kit(v2) as base:
        assert register(mesh, base).status_code == 201
        assert BREAKING not in {w["code"] for w in codes(mesh, pid)}


def test_compare_contracts_lists_the_changes_and_judges_the_declared_bump(
    mesh: Mesh, tmp_path: Path
) -> None:
    # Two products publish two versions of one contract id (as a product moving on would).
    v1, _ = product_folder(tmp_path, "Versions cmp", "1.0.0")
    v11, _ = product_folder(tmp_path / "b", "Versions cmp", "1.1.0", drop_borough=True)
    # The second folder is another product (its own id and name), same contract id.
    v11_descriptor = v11 / "product.yaml"
    v11_descriptor.write_text(
        v11_descriptor.read_text()
        .replace("Versions cmp", "Versions cmp next")
        .replace("0b7d1f0e-9a52-4c39-8d44-", "0b7d1f0e-9a52-4c39-8d45-")
    )
    cid = CONTRACT_ID[:-3] + f"{zlib.crc32(b'Versions cmp') % 1000:03d}"
    with kit(v1) as a, kit(v11) as b:
        assert register(mesh, a).status_code == 201
        assert register(mesh, b).status_code == 201
        body = mesh.query(
            COMPARE,
            {"from": {"id": cid, "version": "1.0.0"}, "to": {"id": cid, "version": "1.1.0"}},
        )
        assert "errors" not in body, body
        answer = body["data"]["compareContracts"]
        # The two folders keep their data in two places: the server moved too (said
        # without the path itself).
        assert answer["changes"] == [
            {
                "path": "servers[local].path",
                "kind": "server_moved",
                "severity": "MAJOR",
                "message": "server path changed",
            },
            {
                "path": "schema[air_quality].properties[borough]",
                "kind": "property_removed",
                "severity": "MAJOR",
                "message": "property borough removed",
            },
        ]
        assert answer["changeCount"] == 2
        assert (answer["requiredBump"], answer["declaredBump"], answer["compatible"]) == (
            "MAJOR",
            "MINOR",
            False,
        )
        same = mesh.query(
            COMPARE,
            {"from": {"id": cid, "version": "1.0.0"}, "to": {"id": cid, "version": "1.0.0"}},
        )["data"]["compareContracts"]
        assert same == {
            "changes": [],
            "changeCount": 0,
            "requiredBump": "NONE",
            "declaredBump": "NONE",
            "compatible": True,
        }


def test_compare_is_refused_where_reading_is(mesh: Mesh, tmp_path: Path) -> None:
    v1, _ = product_folder(tmp_path, "Versions refused", "1.0.0")
    cid = CONTRACT_ID[:-3] + f"{zlib.crc32(b'Versions refused') % 1000:03d}"
    with kit(v1) as base:
        assert register(mesh, base).status_code == 201
        unknown = {"id": "no-such-contract", "version": "1.0.0"}
        known = {"id": cid, "version": "1.0.0"}
        read = mesh.query('{ contract(id: "no-such-contract", version: "1.0.0") { id } }')
        compared = mesh.query(COMPARE, {"from": known, "to": unknown})
        assert read["errors"][0]["extensions"]["code"] == "CONTRACT_NOT_FOUND"
        assert compared["errors"][0]["extensions"]["code"] == "CONTRACT_NOT_FOUND"
        assert compared["data"] is None


def test_compare_is_closed_to_anonymous_callers_when_reading_is(tmp_path: Path) -> None:
    with start_mesh(tmp_path / "mesh", [], anonymous_access="none") as mesh:
        known = {"id": "x", "version": "1.0.0"}
        for query, variables in (
            ('{ contract(id: "x") { id } }', None),
            (COMPARE, {"from": known, "to": known}),
        ):
            answer = httpx.post(
                f"{mesh.gateway}/graphql", json={"query": query, "variables": variables}
            )
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "UNAUTHENTICATED"


def test_end_of_support_and_end_of_life_warn_on_the_product_and_on_sql(
    mesh: Mesh, tmp_path: Path
) -> None:
    soon = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sla = [
        {"property": "endOfSupport", "value": "2020-01-01T00:00:00Z"},
        {"property": "endOfLife", "value": soon},
        {"property": "retention", "value": 1, "unit": "y"},
    ]
    folder, pid = product_folder(tmp_path, "Versions eol", "1.0.0", sla=sla)
    with kit(folder) as base:
        assert register(mesh, base).status_code == 201
        warnings = codes(mesh, pid)
        found = {(w["code"], w["path"]) for w in warnings}
        assert ("end_of_support_passed", "slaProperties[0]") in found
        assert ("end_of_life_near", "slaProperties[1]") in found
        table = f'"air-quality"."{default_slug("Versions eol")}".air_quality'
        body = mesh.query(
            f"{{ sql(query: {_quoted(f'SELECT count(*) FROM {table}')}) {{ rowCount }} }}"
        )
        assert "errors" not in body, body
        notes = {(n["code"], n["productId"]) for n in body["extensions"]["warnings"]}
        assert ("END_OF_SUPPORT_PASSED", pid) in notes
        assert ("END_OF_LIFE_NEAR", pid) in notes
        # The same notes come with a streamed answer, in a header (the body is the data).
        streamed = _stream(mesh, f"SELECT count(*) FROM {table}")
        header = json.loads(streamed.headers["x-meshgate-warnings"])
        assert {(n["code"], n["productId"]) for n in header} == {
            ("END_OF_SUPPORT_PASSED", pid),
            ("END_OF_LIFE_NEAR", pid),
        }


def test_a_supported_contract_gives_no_lifecycle_warning(mesh: Mesh, tmp_path: Path) -> None:
    sla = [{"property": "endOfSupport", "value": "2999-01-01T00:00:00Z"}]
    folder, pid = product_folder(tmp_path, "Versions fine", "1.0.0", sla=sla)
    with kit(folder) as base:
        assert register(mesh, base).status_code == 201
        assert not {w["code"] for w in codes(mesh, pid)} & {
            "end_of_support_passed",
            "end_of_support_near",
            "end_of_life_passed",
            "end_of_life_near",
        }
        table = f'"air-quality"."{default_slug("Versions fine")}".air_quality'
        body = mesh.query(
            f"{{ sql(query: {_quoted(f'SELECT count(*) FROM {table}')}) {{ rowCount }} }}"
        )
        assert "errors" not in body, body
        assert "END_OF_SUPPORT" not in str(body.get("extensions"))
        assert "x-meshgate-warnings" not in _stream(mesh, f"SELECT count(*) FROM {table}").headers


def _stream(mesh: Mesh, sql: str) -> httpx.Response:
    answer = httpx.post(
        f"{mesh.gateway}/sql/stream",
        json={"query": sql, "format": "jsonl"},
        headers=mesh.headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_the_demo_global_precipitation_v2_is_a_declared_major_change(tmp_path: Path) -> None:
    folder = ROOT / "demo" / "products" / "global-precipitation"
    with start_mesh(tmp_path / "mesh", [folder]) as mesh:
        cid = "38e2311f-60d8-4717-9669-869d8d82d652"
        body = mesh.query(
            COMPARE,
            {"from": {"id": cid, "version": "1.0.0"}, "to": {"id": cid, "version": "2.0.0"}},
        )
        assert "errors" not in body, body
        answer = body["data"]["compareContracts"]
        assert (answer["requiredBump"], answer["declaredBump"], answer["compatible"]) == (
            "MAJOR",
            "MAJOR",
            True,
        )
        removed = {c["path"] for c in answer["changes"] if c["kind"] == "property_removed"}
        assert removed == {"schema[global_daily_precipitation].properties[station_key]"}
        # It publishes both versions: 2.0.0 follows 1.0.0 with a major bump, no flag.
        product = "303dc6c6-3763-4e71-9ecb-7df268720de7"
        assert BREAKING not in {w["code"] for w in codes(mesh, product)}
