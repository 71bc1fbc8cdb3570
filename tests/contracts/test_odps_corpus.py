"""Bitol's ODPS examples and variants of them: meshgate's verdict must equal the verdict of
Bitol's schema of the document's own ``apiVersion``, computed here with ``jsonschema``
directly (not through ``contracts``)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft201909Validator, FormatChecker

from contracts import parse_descriptor, validate_file
from contracts.detect import check_file
from contracts.odps_standard import parse_product

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "bitol-odps"
SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas" / "odps"
WRITTEN = CORPUS.parent / "odps-v1"
EXAMPLES = sorted([*CORPUS.glob("*.odps.yaml"), *WRITTEN.glob("*.odps.yaml")])

#: The verdicts written in the corpus folders' README.md (own-version schema).
EXPECTED = {
    "simple-data-product.odps.yaml": True,
    "customer-data-product.odps.yaml": False,
    "precipitation.odps.yaml": True,
}


# Bitol's CI asserts formats with ajv-formats; plain jsonschema needs extra packages for
# date-time and uri, so the two are checked here (RFC 3339 / RFC 3986 shapes, as ajv does).
_FORMATS = FormatChecker()
_FORMATS.checkers["date-time"] = (
    lambda v: (
        not isinstance(v, str)
        or bool(re.fullmatch(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", v))
    ),
    (),
)
_FORMATS.checkers["uri"] = (
    lambda v: not isinstance(v, str) or bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*", v)),
    (),
)


def _schema_says_valid(doc: dict[str, Any]) -> bool:
    """Bitol's own verdict: its schema file for the document's apiVersion, plain jsonschema."""
    schema = json.loads(
        (SCHEMAS / f"odps-json-schema-{doc['apiVersion']}.json").read_text(encoding="utf-8")
    )
    validator = Draft201909Validator(schema, format_checker=_FORMATS)
    return not list(validator.iter_errors(doc))


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc


def test_corpus_is_there() -> None:
    assert {p.name for p in EXAMPLES} == set(EXPECTED)
    assert (
        (CORPUS / "LICENSE")
        .read_text(encoding="utf-8")
        .startswith("                                 Apache License")
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_verdict_agrees_with_own_version_schema(path: Path) -> None:
    expected = _schema_says_valid(_load(path))
    assert expected is EXPECTED[path.name]
    verdict = check_file(path, env={})
    assert (verdict.issues == []) is expected, verdict.issues
    assert verdict.standard == f"ODPS {_load(path)['apiVersion']} (Bitol schema)"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_relabelled_v1_0_0_examples_are_valid(path: Path, tmp_path: Path) -> None:
    # Bitol's CI checks its examples against v1.0.0: relabelled, both pass there and here.
    doc = _load(path)
    doc["apiVersion"] = "v1.0.0"
    assert _schema_says_valid(doc)
    target = tmp_path / path.name
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    verdict = check_file(target, env={})
    assert verdict.issues == []
    assert verdict.standard == "ODPS v1.0.0 (Bitol schema)"


def _set(path: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.pop(key)


#: Changes to the (relabelled v1.0.0) customer example, valid or not by Bitol's schema.
VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "no-status": _drop("status"),
    "no-id": _drop("id"),
    "unknown-top-field": _set(["versions_typo"], 1),
    "early-form-ports": _set(["in"], [{"contractId": "x", "version": "1.0.0"}]),
    "input-port-without-contract": lambda d: d["inputPorts"][0].pop("contractId"),
    "output-port-without-contract": lambda d: d["outputPorts"][0].pop("contractId", None),
    "description-as-text": _set(["description"], "a plain string"),
    "name-as-number": _set(["name"], 7),
    "kind-typo": _set(["kind"], "DataProducts"),
    "extra-status-word": _set(["status"], "sunsetting"),
    "custom-property": _set(["customProperties"], [{"property": "tier", "value": "gold"}]),
    "bad-date-time": _set(["productCreatedTs"], "yesterday"),
    "good-date-time": _set(["productCreatedTs"], "2025-01-31T12:00:00Z"),
    "bad-uri": lambda d: d["support"][0].update(url="not a uri"),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_verdict_agrees(name: str, tmp_path: Path) -> None:
    doc = copy.deepcopy(_load(CORPUS / "customer-data-product.odps.yaml"))
    doc["apiVersion"] = "v1.0.0"
    VARIANTS[name](doc)
    target = tmp_path / "product.yaml"
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    issues = validate_file(target, env={})
    assert (issues == []) is _schema_says_valid(doc), issues


def test_unknown_product_version_names_the_known_ones(tmp_path: Path) -> None:
    doc = _load(CORPUS / "simple-data-product.odps.yaml")
    doc["apiVersion"] = "v2.0.0"
    target = tmp_path / "product.yaml"
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    (issue,) = validate_file(target, env={})
    assert issue.path == "apiVersion"
    assert "unknown ODPS apiVersion 'v2.0.0'" in issue.message
    assert issue.expected is not None
    assert "v0.9.0, v1.0.0 (Bitol ODPS)" in issue.expected
    assert "1.0.0 (meshgate's early descriptor" in issue.expected


def test_missing_product_version_names_the_known_ones(tmp_path: Path) -> None:
    doc = _load(CORPUS / "simple-data-product.odps.yaml")
    del doc["apiVersion"]
    target = tmp_path / "product.yaml"
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    (issue,) = validate_file(target, env={})
    assert (issue.path, issue.message) == ("apiVersion", "required field missing")
    assert issue.expected is not None and "v1.0.0" in issue.expected


@pytest.mark.parametrize("api_version", ["1.0.0", "v1.0.0", "2.3.4"])
def test_early_form_stays_accepted_as_it_was(api_version: str, tmp_path: Path) -> None:
    # The early form (versions[].in/out) was accepted with any x.y.z apiVersion: it still is.
    from tests.contracts.test_descriptor import US_PRECIPITATION

    target = tmp_path / "product.yaml"
    target.write_text(
        US_PRECIPITATION.replace("apiVersion: 1.0.0", f"apiVersion: {api_version}"),
        encoding="utf-8",
    )
    verdict = check_file(target, env={})
    assert [(i.is_error, i.code) for i in verdict.issues] == [(False, "deprecated_descriptor_form")]
    assert verdict.standard == "meshgate early product descriptor"
    assert parse_descriptor(target.read_text(encoding="utf-8")).name == "US precipitation"


def test_standard_product_is_loaded_as_a_descriptor() -> None:
    # ODPS v1.0.0 is the native descriptor: Bitol's example loads, with its ports.
    doc = _load(CORPUS / "simple-data-product.odps.yaml")
    doc["apiVersion"] = "v1.0.0"
    product = parse_descriptor(doc, source="product.yaml")
    assert (product.form, product.warnings) == ("v1.0.0", ())
    assert [p.contract_id for p in product.output_ports] == ["87654321-4321-4321-4321-cba987654321"]


def test_parse_product_gives_ports() -> None:
    doc = _load(CORPUS / "customer-data-product.odps.yaml")
    doc["apiVersion"] = "v1.0.0"
    product = parse_product(doc, source="customer.yaml")
    assert (product.id, product.status, product.domain) == (doc["id"], "draft", "seller")
    assert [p.contract_id for p in product.input_ports] == [
        p["contractId"] for p in doc["inputPorts"]
    ]
    assert [p.name for p in product.output_ports] == [p["name"] for p in doc["outputPorts"]]
