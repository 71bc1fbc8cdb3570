"""End to end: a hostile product cannot serve another product's data under its own contract.

The physical-risk demo product is registered first; then a real hostile product kit whose
contract declares ``asset_flood_exposure`` with a local server on physical-risk's own file
(the same path, a glob, the folder), ``roles: [analyst: read]`` and nothing classified.
For an analyst, SQL over the hostile tables is refused with TABLE_UNAVAILABLE and none of
the victim's restricted values comes back; the victim's own table still masks them.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import yaml

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO, ROOT, demo_product_dirs

TAKEN = "its data location belongs to another product"
VICTIM_FILE = ROOT / "demo" / "data" / "physical-risk" / "asset_flood_exposure.parquet"
COLUMNS = ("asset_id", "h3_cell", "expected_annual_loss_usd")
VICTIM = 'SELECT asset_id, h3_cell, expected_annual_loss_usd FROM "physical-risk"."physical-risk"'

# table -> the hostile contract's first server, reading physical-risk's file
HOSTILE = {
    "asset_flood_exposure": "demo/data/physical-risk/{table}.parquet",
    "exposure_glob": "demo/data/physical-*/asset_flood_exp*.parquet",
    "exposure_dotdot": "demo/data/flood-areas/../physical-risk/asset_flood_exposure.parquet",
}

Mesh = tuple[str, dict[str, str], dict[str, str]]  # URL, admin headers, analyst headers


def hostile_product(folder: Path, kit_data: Path) -> None:
    """A product in domain ``x`` whose contracts any analyst may read, nothing classified;
    the kit reads its own harmless CSV (its second server)."""
    template = yaml.safe_load((DEMO / "flood-areas" / "product.yaml").read_text())
    (folder / "contracts").mkdir(parents=True)
    kit_data.mkdir(parents=True)
    outputs = []
    for table, path in HOSTILE.items():
        contract_id = str(uuid.uuid4())
        (kit_data / f"{table}.csv").write_text(",".join(COLUMNS) + "\na,b,1.0\n")
        contract = {
            "apiVersion": "v3.1.0",
            "kind": "DataContract",
            "id": contract_id,
            "name": table,
            "version": "1.0.0",
            "status": "active",
            "domain": "x",
            "servers": [
                {"server": "evil", "type": "local", "path": path, "format": "parquet"},
                {"server": "kit", "type": "local", "path": f"kit-data/{table}.csv",
                 "format": "csv"},
            ],
            "schema": [{
                "name": table,
                "physicalName": "asset_flood_exposure" if table != "exposure_glob" else table,
                "physicalType": "table",
                "properties": [
                    {"name": c, "logicalType": "string", "physicalType": "varchar"}
                    for c in COLUMNS
                ],
            }],
            "roles": [{"role": "analyst", "access": "read"}],
        }  # fmt: skip
        (folder / "contracts" / f"{table}-1.0.0.yaml").write_text(yaml.safe_dump(contract))
        outputs.append({"contractId": contract_id, "version": "1.0.0"})
    product = {
        **template,
        "id": str(uuid.uuid4()),
        "name": "Exposure copy",
        "domain": "x",
        "customProperties": [{"property": "slug", "value": "copy"}],
        "outputPorts": [
            {"name": f"port-{i}", "version": ref["version"], "contractId": ref["contractId"]}
            for i, ref in enumerate(outputs)
        ],
    }
    product.pop("inputPorts", None)
    (folder / "product.yaml").write_text(yaml.safe_dump(product))


@contextlib.contextmanager
def copying_mesh(tmp: Path) -> Iterator[Mesh]:
    """The gateway (the repository as its data root) with physical-risk registered first
    and the hostile product after it."""
    hostile_product(tmp / "copy", tmp / "kit" / "kit-data")
    issuer = TestIssuer(tmp / "auth")
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        data_root=str(ROOT),
        upstream_allowed_networks=LOOPBACK_ONLY,
        **issuer.settings(),
    )
    admin = issuer.headers()
    analyst = issuer.headers("ana", ["analyst"])
    with contextlib.ExitStack() as stack:
        victim = stack.enter_context(
            running(create_product_app(DEMO / "physical-risk", token="t", env={}))
        )
        copy = stack.enter_context(
            running(create_product_app(tmp / "copy", server="kit", root=tmp / "kit",
                                       token="t", env={}))
        )  # fmt: skip
        gateway = stack.enter_context(running(create_app(settings)))
        for base in (victim, copy):  # the victim first: it owns its file
            answer = httpx.post(
                f"{gateway}/registry/products", json={"url": f"{base}/discover/metadata"},
                headers=admin, timeout=30,
            )  # fmt: skip
            assert answer.status_code == 201, answer.text
            time.sleep(0.01)  # two distinct registration times
        yield gateway, admin, analyst


def graphql(
    mesh: Mesh, headers: dict[str, str], query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    answer = httpx.post(
        f"{mesh[0]}/graphql", json={"query": query, "variables": variables},
        headers=headers, timeout=60,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


SQL = "query($q: String!) { sql(query: $q, engine: DUCKDB) { rows } }"


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    demo_product_dirs()  # fails early without demo data
    with copying_mesh(tmp_path_factory.mktemp("owner")) as started:
        yield started


@pytest.fixture(scope="module")
def secrets() -> set[str]:
    """The victim's asset ids, cells and losses, read from its file by the test itself."""
    with duckdb.connect() as con:
        found = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM read_parquet(?)", [str(VICTIM_FILE)]
        ).fetchall()
    values = {str(v) for row in found for v in row if v is not None and v != 0}
    assert len(values) > 10
    return values


@pytest.mark.parametrize("table", sorted(HOSTILE))
def test_an_analyst_cannot_read_the_victims_file_through_another_product(
    mesh: Mesh, secrets: set[str], table: str
) -> None:
    body = graphql(mesh, mesh[2], SQL, {"q": f"SELECT * FROM x.copy.{table}"})
    assert body.get("data") is None or body["data"].get("sql") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "TABLE_UNAVAILABLE", error
    assert error["message"] == f"x.copy.{table} is unavailable on duckdb: {TAKEN}"
    text = json.dumps(body)
    assert "physical-risk" not in text and str(ROOT) not in text
    assert not [s for s in secrets if s in text]


def test_the_hostile_product_says_why_and_the_victim_keeps_its_table(mesh: Mesh) -> None:
    query = "query($id: ID!) { product(id: $id) { sqlUnavailable { table engine reason } } }"
    hostile = graphql(mesh, mesh[1], query, {"id": "x.copy"})
    assert "errors" not in hostile, hostile["errors"]
    found = {(u["table"], u["engine"], u["reason"])
             for u in hostile["data"]["product"]["sqlUnavailable"]}  # fmt: skip
    assert found == {(f"x.copy.{t}", "duckdb", TAKEN) for t in HOSTILE}
    victim = graphql(mesh, mesh[1], query, {"id": "physical-risk.physical-risk"})
    assert victim["data"]["product"]["sqlUnavailable"] == []


def test_the_victims_own_table_still_masks_for_the_analyst(mesh: Mesh, secrets: set[str]) -> None:
    body = graphql(mesh, mesh[2], SQL, {"q": f"{VICTIM}.asset_flood_exposure"})
    assert "errors" not in body, body["errors"]
    rows = body["data"]["sql"]["rows"]
    assert len(rows) > 10
    answered = {str(v) for row in rows for v in row if v is not None}
    assert not secrets & answered
    admin = graphql(mesh, mesh[1], SQL, {"q": f"{VICTIM}.asset_flood_exposure"})
    assert secrets & {str(v) for row in admin["data"]["sql"]["rows"] for v in row}
