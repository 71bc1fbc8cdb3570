"""ODPS products in the graph: real products served by the kit, registered, queried.

Each of Bitol's published examples and the products written from the standard's text is
served by the kit from a folder holding only its ``product.yaml``, registered in a real
gateway, and queried through GraphQL; the expected ports, team and support channels are
read from the YAML file itself, never from the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from resolvers import odps as odps_resolvers
from tests.graph.conftest import Mesh, demo_product_dirs, start_mesh
from tests.product.builders import CONTRACT, CONTRACT_ID, DESCRIPTOR, build_product, variant

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

# (corpus file, apiVersion to relabel to). Bitol's customer example declares v0.9.0 but
# uses v1.0.0 fields, so its own version's schema refuses it (tests/corpus/bitol-odps/
# README.md); relabelled v1.0.0 it is valid, as Bitol's CI reads it.
STANDARD = "bitol-odps/standard-text/{}--docs-readme-fundamentals.odps.yaml"
CASES = {
    "bitol-simple": ("bitol-odps/simple-data-product.odps.yaml", None),
    "bitol-customer": ("bitol-odps/customer-data-product.odps.yaml", "v1.0.0"),
    "standard-v1.0.0": (STANDARD.format("v1.0.0"), None),
    "standard-v0.9.0": (STANDARD.format("v0.9.0"), None),
    "odps-v1-precipitation": ("odps-v1/precipitation.odps.yaml", None),
}  # fmt: skip

PRODUCT_FIELDS = """
  id apiVersion
  descriptionDetails { purpose limitations usage
    customProperties { property value description } }
  inputPorts(first: 100) { totalCount nodes {
    name version contractId tags
    customProperties { property value description }
    authoritativeDefinitions { type url description } } }
  outputPorts(first: 100) { totalCount nodes {
    name version contractId description type tags
    customProperties { property value description }
    authoritativeDefinitions { type url description }
    sbom { type url } inputContracts { id version } contract { id } } }
  team { name description members {
    username name description role dateIn dateOut replacedByUsername } }
  support { channel url description tool scope invitationUrl }
  customProperties { property value description }
  authoritativeDefinitions { type url description }
  warnings { document contractId contractVersion path message code }
"""


def product_text(case: str) -> str:
    path, relabel = CASES[case]
    text = (CORPUS / path).read_text()
    if relabel is not None:
        text = text.replace("apiVersion: v0.9.0", f"apiVersion: {relabel}", 1)
    return text


def write_folder(root: Path, text: str) -> Path:
    folder = root / "product"
    folder.mkdir(parents=True)
    (folder / "product.yaml").write_text(text)
    return folder


def first_product(mesh: Mesh, fields: str = PRODUCT_FIELDS) -> dict[str, Any]:
    body = mesh.query(f"{{ products(first: 1) {{ edges {{ node {{ {fields} }} }} }} }}")
    assert "errors" not in body, body["errors"]
    edges = body["data"]["products"]["edges"]
    assert len(edges) == 1
    node: dict[str, Any] = edges[0]["node"]
    return node


# -- what the YAML file says (the expected values) --------------------------------------


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _props(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"property": p["property"], "value": p.get("value"), "description": p.get("description")}
        for p in raw.get("customProperties") or []
    ]


def _defs(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": d["type"], "url": d["url"], "description": d.get("description")}
        for d in raw.get("authoritativeDefinitions") or []
    ]


def expected_inputs(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": p["name"],
            "version": _s(p["version"]),
            "contractId": p["contractId"],
            "tags": p.get("tags") or [],
            "customProperties": _props(p),
            "authoritativeDefinitions": _defs(p),
        }
        for p in doc.get("inputPorts") or []
    ]


def expected_outputs(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": p["name"],
            "version": _s(p["version"]),
            "contractId": p.get("contractId"),
            "description": p.get("description"),
            "type": p.get("type"),
            "tags": p.get("tags") or [],
            "customProperties": _props(p),
            "authoritativeDefinitions": _defs(p),
            "sbom": [{"type": s.get("type"), "url": s["url"]} for s in p.get("sbom") or []],
            "inputContracts": [
                {"id": c["id"], "version": _s(c["version"])} for c in p.get("inputContracts") or []
            ],
            "contract": None,  # the folder holds no contract: the product publishes none
        }
        for p in doc.get("outputPorts") or []
    ]


def expected_team(doc: dict[str, Any]) -> dict[str, Any] | None:
    team = doc.get("team")
    if team is None:
        return None
    members = team.get("members") or []
    return {
        "name": team.get("name"),
        "description": team.get("description"),
        "members": [
            {
                "username": m.get("username"),
                "name": m.get("name"),
                "description": m.get("description"),
                "role": m.get("role"),
                "dateIn": _s(m.get("dateIn")),
                "dateOut": _s(m.get("dateOut")),
                "replacedByUsername": m.get("replacedByUsername"),
            }
            for m in members
        ],
    }


def expected_support(doc: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("channel", "url", "description", "tool", "scope", "invitationUrl")
    return [{k: s.get(k) for k in keys} for s in doc.get("support") or []]


# -- the corpus: each product served alone, registered, shown as written -----------------


@pytest.fixture(params=sorted(CASES))
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, Any], Mesh]]:
    text = product_text(request.param)
    with start_mesh(tmp_path / "mesh", [write_folder(tmp_path, text)]) as mesh:
        yield yaml.safe_load(text), mesh


def test_a_corpus_product_shows_its_ports_team_and_support_as_written(
    served: tuple[dict[str, Any], Mesh],
) -> None:
    doc, mesh = served
    node = first_product(mesh)
    assert node["id"] == doc["id"]
    assert node["apiVersion"] == doc["apiVersion"]
    assert node["inputPorts"]["totalCount"] == len(doc.get("inputPorts") or [])
    assert node["inputPorts"]["nodes"] == expected_inputs(doc)
    assert node["outputPorts"]["totalCount"] == len(doc.get("outputPorts") or [])
    assert node["outputPorts"]["nodes"] == expected_outputs(doc)
    assert node["team"] == expected_team(doc)
    assert node["support"] == expected_support(doc)
    assert node["customProperties"] == _props(doc)
    assert node["authoritativeDefinitions"] == _defs(doc)
    description = doc.get("description")
    if description is None:
        assert node["descriptionDetails"] is None
    else:
        assert node["descriptionDetails"] == {
            "purpose": description.get("purpose"),
            "limitations": description.get("limitations"),
            "usage": description.get("usage"),
            "customProperties": _props(description),
        }
    # Each output port names a contract the folder does not hold: one warning per port.
    missing = {
        f"outputPorts[{i}].contractId"
        for i, p in enumerate(doc.get("outputPorts") or [])
        if p.get("contractId")
    }
    shown = {w["path"] for w in node["warnings"] if w["code"] == "output_contract_missing"}
    assert shown == missing
    assert all(w["document"] == "descriptor" for w in node["warnings"])


# -- warnings: the early form's deprecation and a contract's own warning ------------------


def test_an_early_product_and_its_contract_show_their_warnings(tmp_path: Path) -> None:
    contract = variant(CONTRACT)
    # A key position on a column that is not part of the key: a warning, not a refusal.
    contract["schema"][0]["properties"][1]["primaryKeyPosition"] = 2
    folder = build_product(tmp_path / "early", contract=contract)
    assert "versions" in yaml.safe_load((folder / "product.yaml").read_text())  # early form
    with start_mesh(tmp_path / "mesh", [folder]) as mesh:
        node = first_product(mesh)
        body = mesh.query(
            f'{{ contract(id: "{CONTRACT_ID}") {{ warnings {{ document contractId path }} }} }}'
        )
    # The contract shows its own warning too.
    assert body["data"]["contract"]["warnings"] == [
        {
            "document": "contract",
            "contractId": CONTRACT_ID,
            "path": "schema[0].properties[1].primaryKeyPosition",
        }
    ]
    assert node["apiVersion"] == "v1.0.0"  # read converted
    warnings = node["warnings"]
    assert [w["code"] for w in warnings if w["document"] == "descriptor"] == [
        "deprecated_descriptor_form"
    ]
    [found] = [w for w in warnings if w["document"] == "contract"]
    assert (found["contractId"], found["contractVersion"]) == (CONTRACT_ID, "1.0.0")
    assert found["path"] == "schema[0].properties[1].primaryKeyPosition"
    assert "primaryKey is not true" in found["message"]
    # The published contract resolves on its output port; owner became a team member.
    [port] = node["outputPorts"]["nodes"]
    assert (port["contractId"], port["contract"]) == (CONTRACT_ID, {"id": CONTRACT_ID})
    owner = DESCRIPTOR["owner"]
    assert [(m["name"], m["username"], m["role"]) for m in node["team"]["members"]] == [
        (owner["name"], owner["email"], "owner")
    ]


def test_the_live_descriptor_is_parsed_once_per_fetched_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = odps_resolvers.parse_descriptor

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(odps_resolvers, "parse_descriptor", counting)
    text = product_text("bitol-customer")
    with start_mesh(tmp_path / "mesh", [write_folder(tmp_path, text)]) as mesh:
        first_product(mesh)  # a dozen fields read the descriptor
        assert len(calls) == 1
        first_product(mesh)  # the same fetched copy (the fetcher's cache): no new parse
        assert len(calls) == 1


# -- the demo mesh: every product in ODPS v1.0.0, its contracts published ------------------


def test_every_demo_product_shows_its_document_and_its_published_contracts(mesh: Mesh) -> None:
    body = mesh.query(
        "{ products(first: 20) { edges { node { id "
        "outputPorts(first: 100) { nodes { name version contractId contract { id version } } } "
        "inputPorts(first: 100) { nodes { name contractId } } "
        "team { members { username role } } support { channel url } "
        "warnings { code } } } } }"
    )
    assert "errors" not in body, body["errors"]
    nodes = {n["node"]["id"]: n["node"] for n in body["data"]["products"]["edges"]}
    for folder in demo_product_dirs():
        doc = yaml.safe_load((folder / "product.yaml").read_text())
        node = nodes[doc["id"]]
        outputs = doc.get("outputPorts") or []
        assert [(p["name"], p["contractId"]) for p in node["outputPorts"]["nodes"]] == [
            (p["name"], p["contractId"]) for p in outputs
        ]
        # The demo folders hold every contract they publish: each port resolves to it.
        assert [p["contract"] for p in node["outputPorts"]["nodes"]] == [
            {"id": p["contractId"], "version": _s(p["version"])} for p in outputs
        ]
        assert [p["contractId"] for p in node["inputPorts"]["nodes"]] == [
            p["contractId"] for p in doc.get("inputPorts") or []
        ]
        team = expected_team(doc)
        assert node["team"] == (
            None
            if team is None
            else {
                "members": [{"username": m["username"], "role": m["role"]} for m in team["members"]]
            }
        )
        assert node["support"] == [
            {"channel": s["channel"], "url": s["url"]} for s in doc.get("support") or []
        ]
        assert "deprecated_descriptor_form" not in {w["code"] for w in node["warnings"]}
