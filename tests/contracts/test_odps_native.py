"""ODPS v1.0.0 as the native descriptor: the early form converted losslessly, bounds on
hostile documents, and ``meshgate validate`` on product folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft201909Validator

from contracts import DocumentInvalid, parse_descriptor
from gateway.cli import main
from tests.contracts.test_descriptor import US_PRECIPITATION

ROOT = Path(__file__).resolve().parents[2]
V1_SCHEMA = json.loads(
    (ROOT / "contracts/schemas/odps/odps-json-schema-v1.0.0.json").read_text(encoding="utf-8")
)
DEMO = ROOT / "demo" / "products"
FIELDS = ("id", "name", "domain", "slug", "versions", "owner", "tags", "status", "alignment")


def test_an_early_product_with_two_versions_converts_without_loss() -> None:
    early = parse_descriptor(US_PRECIPITATION)
    assert list(Draft201909Validator(V1_SCHEMA).iter_errors(early.raw)) == []
    back = parse_descriptor(early.raw)  # the converted document, read as written
    assert (back.form, back.warnings) == ("v1.0.0", ())
    assert [getattr(back, f) for f in FIELDS] == [getattr(early, f) for f in FIELDS]
    assert [(v.version, len(v.inputs), len(v.outputs)) for v in back.versions] == [
        ("1.0.0", 0, 1),
        ("2.0.0", 1, 1),
    ]
    assert (back.license, back.purpose, back.version) == (
        "CC-BY-4.0",
        "Daily precipitation at NOAA stations, in inches.",
        "2.0.0",
    )


def test_a_v1_product_reads_ports_team_support_and_properties() -> None:
    product = parse_descriptor((ROOT / "tests/corpus/odps-v1/precipitation.odps.yaml").read_text())
    assert (product.slug, product.domain, product.version) == (
        "us-precipitation",
        "precipitation",
        "v2.0.0",
    )
    assert [(p.name, p.contract_id) for p in product.input_ports] == [("stations", "stations")]
    (out,) = product.output_ports
    assert (out.type, out.sbom[0].url, out.input_contracts[0].id) == (
        "tables",
        "https://sbom.climate-quantum.example/us-precipitation",
        "stations",
    )
    assert [(s.tool, s.scope) for s in product.support] == [
        ("slack", "interactive"),
        ("email", "issues"),
    ]
    assert product.team is not None and product.team.members[0].date_in == "2024-01-15"
    assert product.owner == {"name": "Ada Lovelace", "email": "ada@climate-quantum.example"}
    assert product.alignment == "source-aligned"
    assert product.description is not None
    assert product.description.custom_properties[0].value == "inch"
    assert product.authoritative_definitions[0].type == "businessDefinition"


def test_a_v0_9_product_reads_its_team_list() -> None:
    doc = yaml.safe_load(
        (ROOT / "tests/corpus/bitol-odps/simple-data-product.odps.yaml").read_text()
    )
    doc["team"] = [{"username": "ada@example.org", "name": "Ada", "role": "owner"}]
    product = parse_descriptor(doc)
    assert (product.form, product.domain, product.slug) == (
        "v0.9.0",
        "products",
        "simple-data-product",
    )
    assert product.owner == {"name": "Ada", "email": "ada@example.org"}


@pytest.mark.parametrize("text", ["yaml", "json"])
def test_a_deeply_nested_custom_property_is_refused_not_a_crash(text: str) -> None:
    # Old code: RecursionError from the JSON decoder or the document walk (and a C stack
    # overflow in the YAML composer deeper still), not a DocumentInvalid.
    deep = "[" * 5000 + "]" * 5000
    head = {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "x", "status": "active"}
    if text == "json":
        body = json.dumps(head)[:-1] + ', "customProperties": [{"property": "d", "value": '
        document, source = body + deep + "}]}", "product.json"
    else:
        document = yaml.safe_dump(head) + "customProperties:\n- property: d\n  value: " + deep
        source = "product.yaml"
    with pytest.raises(DocumentInvalid) as caught:
        parse_descriptor(document, source)
    (issue,) = caught.value.issues
    assert issue.code == "document_too_deep"


def test_a_slug_property_that_is_no_slug_is_refused() -> None:
    doc = yaml.safe_load((ROOT / "tests/corpus/odps-v1/precipitation.odps.yaml").read_text())
    doc["customProperties"] = [{"property": "slug", "value": "Not A Slug"}]
    with pytest.raises(DocumentInvalid) as caught:
        parse_descriptor(doc)
    assert [i.path for i in caught.value.issues] == ["customProperties[0].value"]


def test_a_port_listed_twice_is_refused() -> None:
    doc = yaml.safe_load((ROOT / "tests/corpus/odps-v1/precipitation.odps.yaml").read_text())
    doc["outputPorts"].append(dict(doc["outputPorts"][0]))
    with pytest.raises(DocumentInvalid, match="port daily version 2.0.0 is listed twice"):
        parse_descriptor(doc)


def test_validate_a_v1_folder_and_an_early_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    native = tmp_path / "native"
    shutil.copytree(DEMO / "us-precipitation", native)
    assert main(["validate", str(native)]) == 0
    assert capsys.readouterr().out.splitlines() == ["2 documents, 0 invalid"]
    # The early form: valid, with the deprecation warning.
    (native / "product.yaml").write_text(US_PRECIPITATION.replace("stations", "x"))
    shutil.rmtree(native / "contracts")
    (native / "contracts").mkdir()
    assert main(["validate", str(native / "product.yaml")]) == 0
    out = capsys.readouterr().out
    assert "versions: warning: the early descriptor form (versions[].in/out) is deprecated" in out
    # An output port without its contract in the folder: a warning of the folder.
    assert "outputPorts[0].contractId: warning: output contract" in out
    assert out.splitlines()[-1] == "1 documents, 0 invalid, 1 with warnings"
