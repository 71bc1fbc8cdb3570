"""The checks as pure functions of a product's documents: what each finds, and that a
check failing on odd input fails its policy, not the evaluation."""

from __future__ import annotations

from typing import Any

from contracts import parse_descriptor
from gateway.certification.checks import CHECKS
from gateway.certification.evidence import ContractEvidence, Documents, Outcome
from gateway.certification.policies import load_policies
from gateway.certification.service import evaluate_documents
from tests.product.builders import CONTRACT, DESCRIPTOR_V1, variant


def docs(
    contract: dict[str, Any] | None = None,
    descriptor: dict[str, Any] | None = None,
    results: tuple[dict[str, Any], ...] = (),
) -> Documents:
    c = contract or variant(CONTRACT)
    d = parse_descriptor(descriptor or variant(DESCRIPTOR_V1))
    return Documents(d.id, d, None, (ContractEvidence(c["id"], c["version"], raw=c),), results)


def run(check: str, documents: Documents, **params: Any) -> Outcome:
    spec = CHECKS[check]
    return spec.run(documents, {**spec.parameters, **params})


def test_lineage_is_declared_by_transform_fields_without_input_ports() -> None:
    assert run("product.lineage_declared", docs()).passed is False
    contract = variant(CONTRACT)
    prop = contract["schema"][0]["properties"][2]
    prop["transformSourceObjects"] = ["raw.measures"]
    outcome = run("product.lineage_declared", docs(contract))
    assert outcome == Outcome(True, "transform fields on air_quality.data_value")


def test_a_sensitive_column_needs_a_classification() -> None:
    contract = variant(CONTRACT)
    contract["schema"][0]["properties"].append(
        {"name": "contact_email", "logicalType": "string", "description": "Who to ask."}
    )
    outcome = run("columns.sensitive_classified", docs(contract))
    assert outcome == Outcome(
        False, "sensitive columns without classification: air_quality.contact_email"
    )
    contract["schema"][0]["properties"][-1]["classification"] = "restricted"
    assert run("columns.sensitive_classified", docs(contract)).passed is True


def test_key_columns_need_an_authoritative_definition() -> None:
    contract = variant(CONTRACT)
    assert run("columns.key_definitions", docs(contract)).passed is False
    key = contract["schema"][0]["properties"][0]
    key["authoritativeDefinitions"] = [
        {"type": "businessDefinition", "url": "https://example.org/measure-id"}
    ]
    assert run("columns.key_definitions", docs(contract)) == Outcome(
        True, "1 key columns have authoritative definitions"
    )


def test_only_the_last_n_results_count() -> None:
    old_failure = {"timestamp": "2026-01-01T00:00:00Z", "passed": False, "element": "t.a",
                   "property": "nullCheck"}  # fmt: skip
    recent = tuple(
        {"timestamp": f"2026-01-0{d}T00:00:00Z", "passed": True, "element": "t.a",
         "property": "nullCheck"}
        for d in range(2, 5)
    )  # fmt: skip
    results = (old_failure, *recent)
    assert run("results.passing", docs(results=results), last=3).passed is True
    failed = run("results.passing", docs(results=results), last=4)
    assert failed == Outcome(False, "1 of the last 4 results failed: t.a nullCheck")


def test_sla_properties_named_by_the_policy() -> None:
    assert run("contract.sla_declared", docs()).passed is True
    outcome = run("contract.sla_declared", docs(), properties=["latency", "frequency"])
    assert outcome.passed is False
    assert "frequency in" in outcome.evidence and "latency" not in outcome.evidence


def test_an_invalid_contract_fails_valid_contract_naming_it() -> None:
    d = parse_descriptor(variant(DESCRIPTOR_V1))
    bad = Documents(d.id, d, None, (ContractEvidence("c1", "1.0.0", problem="invalid at schema"),))
    assert run("contract.valid", bad) == Outcome(
        False, "1 of 1 contracts invalid: c1 1.0.0 (invalid at schema)"
    )


def test_a_check_that_raises_fails_its_policy_only() -> None:
    contract = variant(CONTRACT)
    contract["schema"][0]["properties"][1]["tags"] = 5  # not a list: the sensitivity test raises
    verdicts = {v.policy: v for v in evaluate_documents(load_policies(), docs(contract))}
    assert len(verdicts) == len(load_policies().policies)
    sensitive = verdicts["sensitive-classified"]
    assert sensitive.passed is False
    assert sensitive.evidence == "the check could not judge this product's documents"
    assert verdicts["columns-described"].passed is True  # the other checks still ran
