"""The standards' vendored schemas as OpenAPI components keep their verdicts.

Embedding moves a schema's ``$defs`` into ``components/schemas`` and rewrites its
references; these tests check that a document the standard accepts is still accepted
(and one it refuses still refused) through the embedded copy, inside a document that
passes the OpenAPI validator. ``odps_schemas`` describe the product document in
``/discover/metadata`` (its ``descriptor``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import openapi_spec_validator
import referencing
import yaml
from referencing.jsonschema import DRAFT202012

from productkit.standards import contract_schema, odps_schemas

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ODPS_V1 = CORPUS / "odps-v1" / "precipitation.odps.yaml"


def document_with(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A one-route OpenAPI document answering ``schema``."""
    content = {"application/json": {"schema": schema}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "x", "content": content}}}}},
        "components": {"schemas": defs},
    }


def validator(doc: dict[str, Any]) -> jsonschema.protocols.Validator:
    resource = referencing.Resource.from_contents(doc, default_specification=DRAFT202012)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource("urn:d", resource)
    ref = "urn:d#/paths/~1x/get/responses/200/content/application~1json/schema"
    return jsonschema.Draft202012Validator({"$ref": ref}, registry=registry)


def test_an_odps_product_is_described_by_bitols_schemas() -> None:
    defs: dict[str, Any] = {}
    doc = document_with({"anyOf": odps_schemas(defs)}, defs)
    openapi_spec_validator.validate(doc)
    product = yaml.safe_load(ODPS_V1.read_text(encoding="utf-8"))
    check = validator(doc)
    assert check.is_valid(product)
    # Bitol's own rules still hold through the embedded copies (and their $defs).
    assert not check.is_valid({**product, "colour": "red"})
    assert not check.is_valid({**product, "apiVersion": "v9.9.9"})
    assert not check.is_valid({**product, "outputPorts": [{"name": "p"}]})


def test_contracts_are_described_by_each_served_versions_schema() -> None:
    defs: dict[str, Any] = {}
    schema = contract_schema(["v3.1.0", "v3.0.2", "v3.1.0"], defs)
    assert schema == {
        "anyOf": [
            {"$ref": "#/components/schemas/OdcsContractV3_0_2"},
            {"$ref": "#/components/schemas/OdcsContractV3_1_0"},
        ]
    }
    doc = document_with(schema, defs)
    openapi_spec_validator.validate(doc)
    contract = {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": "c1",
        "version": "1.0.0",
        "status": "active",
        "schema": [{"name": "t", "properties": [{"name": "a", "logicalType": "string"}]}],
    }
    check = validator(doc)
    assert check.is_valid(contract)
    assert not check.is_valid({**contract, "schema": [{"name": "t", "properties": [{}]}]})
    assert not check.is_valid({k: v for k, v in contract.items() if k != "id"})
    # A version with no vendored schema falls back to ODCS's required fields.
    assert contract_schema(["v9.0.0"], {})["required"] == [
        "apiVersion", "kind", "id", "version", "status",
    ]  # fmt: skip
