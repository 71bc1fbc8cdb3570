"""Certification through the graph, on a real mesh: a demo product and built products
under uvicorn, the gateway under uvicorn, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.certification import load_policies
from tests.certification import products
from tests.certification.mesh import certification_mesh
from tests.fixtures.services import fresh_postgres_database
from tests.graph.conftest import DEMO, Mesh

CLAIMER = "0b7d1f0e-9a52-4c39-8d44-3f2c51a7e101"
BARE = "0b7d1f0e-9a52-4c39-8d44-3f2c51a7e102"
MESH_POLICIES = [p.id for p in load_policies().policies]

CERTIFY = """
mutation($p: ID!) {
  certifyProduct(product: $p) {
    status level productStatus checkedAt
    report { policy description passed evidence source level }
  }
}"""
READ = """
query($p: ID!, $first: Int, $after: String) {
  product(id: $p) {
    certification {
      status level productStatus checkedAt
      report { policy description passed evidence source level }
      history(first: $first, after: $after) { status level checkedAt cursor }
    }
  }
}"""


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
)
def mesh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mesh]:
    tmp = tmp_path_factory.mktemp("certification")
    dirs = [
        DEMO / "nyc-air-quality",
        products.claimer(tmp / "claimer"),
        products.bare(tmp / "bare"),
    ]
    with store_url(request, tmp) as url, certification_mesh(tmp, dirs, url) as started:
        yield started


def store_url(request: pytest.FixtureRequest, tmp: Path) -> contextlib.AbstractContextManager[str]:
    """The registry URL of the module's gateway: a SQLite file or a fresh PostgreSQL db."""
    if request.param == "sqlite":
        return contextlib.nullcontext(f"sqlite:///{tmp / 'registry.db'}")
    return fresh_postgres_database(request.getfixturevalue("postgres_dsn"))


def certify(mesh: Mesh, product: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return mesh.query(CERTIFY, {"p": product}, headers=headers)


def mesh_report(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["policy"]: r for r in answer["report"] if r["source"] == "MESH"}


def read(mesh: Mesh, product: str, **variables: Any) -> dict[str, Any]:
    answer = mesh.query(READ, {"p": product, **variables})
    assert "errors" not in answer, answer
    certification: dict[str, Any] = answer["data"]["product"]["certification"]
    return certification


def nyc_id() -> str:
    data = yaml.safe_load((DEMO / "nyc-air-quality" / "product.yaml").read_text())
    return str(data["id"])


def test_a_demo_product_gets_every_mesh_policy_with_evidence(mesh: Mesh) -> None:
    pid = nyc_id()
    answer = certify(mesh, pid)
    assert "errors" not in answer, answer
    done = answer["data"]["certifyProduct"]
    mesh_items = [r for r in done["report"] if r["source"] == "MESH"]
    assert [r["policy"] for r in mesh_items] == MESH_POLICIES
    for item in mesh_items:
        assert item["evidence"].strip(), item
        assert item["description"].strip() and item["level"] in {"bronze", "silver", "gold"}
    found = mesh_report(done)
    assert found["valid-contract"]["passed"] is True
    assert "valid contracts" in found["valid-contract"]["evidence"]
    assert found["licence-stated"]["passed"] is True
    # The product's own answer is there too, marked as its claim.
    claims = [r for r in done["report"] if r["source"] == "PRODUCT"]
    assert claims and all(r["level"] is None for r in claims)
    assert done["productStatus"] in {"OK", "NOT COMPLIANT"}
    stored = read(mesh, pid)
    assert (stored["status"], stored["checkedAt"], stored["report"]) == (
        done["status"], done["checkedAt"], done["report"],
    )  # fmt: skip


def test_missing_owner_support_and_descriptions_fail_naming_what_is_missing(mesh: Mesh) -> None:
    done = certify(mesh, BARE)["data"]["certifyProduct"]
    found = mesh_report(done)
    owner = found["owner-and-support"]
    assert owner["passed"] is False
    assert "no owner" in owner["evidence"] and "no support channel" in owner["evidence"]
    described = found["columns-described"]
    assert described["passed"] is False
    assert described["evidence"] == (
        "2 of 5 columns have no description: air_quality.name, air_quality.borough"
    )
    assert (done["status"], done["level"]) == ("NOT_COMPLIANT", None)  # bronze not reached


def test_a_product_certifying_itself_is_not_certified_by_the_mesh(mesh: Mesh) -> None:
    done = certify(mesh, CLAIMER)["data"]["certifyProduct"]
    claims = [r for r in done["report"] if r["source"] == "PRODUCT"]
    assert done["productStatus"] == "OK" and claims and all(r["passed"] for r in claims)
    found = mesh_report(done)
    assert found["key-definitions"]["passed"] is False
    assert "air_quality.unique_id" in found["key-definitions"]["evidence"]
    assert found["lineage-declared"]["passed"] is False
    assert done["status"] == "NOT_COMPLIANT"
    # The level follows the mesh's policies: bronze and silver all pass, gold does not.
    levels = {r["policy"]: r["level"] for r in found.values()}
    failed = {levels[p] for p, r in found.items() if not r["passed"]}
    assert failed == {"gold"}
    assert done["level"] == "silver"


def test_history_grows_with_each_evaluation_newest_first(mesh: Mesh) -> None:
    before = len(read(mesh, CLAIMER, first=100)["history"])
    first = certify(mesh, CLAIMER)["data"]["certifyProduct"]
    second = certify(mesh, CLAIMER)["data"]["certifyProduct"]
    history = read(mesh, CLAIMER, first=100)["history"]
    assert len(history) == before + 2
    assert [h["checkedAt"] for h in history[:2]] == [second["checkedAt"], first["checkedAt"]]
    assert all(h["status"] == "NOT_COMPLIANT" and h["level"] == "silver" for h in history)
    page = read(mesh, CLAIMER, first=1)["history"]
    assert [h["checkedAt"] for h in page] == [second["checkedAt"]]
    rest = read(mesh, CLAIMER, first=1, after=page[0]["cursor"])["history"]
    assert [h["checkedAt"] for h in rest] == [first["checkedAt"]]


def test_on_demand_for_the_owner_forbidden_to_others(mesh: Mesh) -> None:
    assert mesh.issuer is not None
    owner = mesh.issuer.headers("olga", roles=["owner:certtest"])
    other = mesh.issuer.headers("oscar", roles=["owner:flood", "analyst"])
    before = len(read(mesh, BARE, first=100)["history"])
    ok = certify(mesh, BARE, headers=owner)
    assert "errors" not in ok and ok["data"]["certifyProduct"]["status"] == "NOT_COMPLIANT"
    refused = certify(mesh, BARE, headers=other)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = certify(mesh, BARE, headers={})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert len(read(mesh, BARE, first=100)["history"]) == before + 1  # refused: no row
    # Reading a certification is open to anyone, as discovery is.
    seen = mesh.query(READ, {"p": BARE, "first": 1}, headers={})
    assert "errors" not in seen, seen
    assert seen["data"]["product"]["certification"]["status"] == "NOT_COMPLIANT"
