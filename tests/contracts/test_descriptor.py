"""ODPS product descriptors and observability results."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import (
    ContractRef,
    DocumentInvalid,
    ProductVersion,
    load_descriptor,
    parse_descriptor,
    parse_result,
    validate_file,
)

US_PRECIPITATION = """\
apiVersion: 1.0.0
kind: DataProduct
id: da6025e9-695b-4022-85ee-695fc2aa0004
name: US precipitation
domain: precipitation
description: Daily precipitation at NOAA stations, in inches.
owner: {name: Ada Lovelace, email: ada@climate-quantum.example}
tags: [precipitation, noaa, source-aligned]
status: active
alignment: source-aligned
license: CC-BY-4.0
versions:
  - version: 1.0.0
    in: []
    out:
      - {contractId: 06648f07-b3d9-4eb9-a990-6065fccce778, version: 1.0.0}
  - version: 2.0.0
    in:
      - {contractId: stations, version: 1.2.0}
    out:
      - {contractId: 06648f07-b3d9-4eb9-a990-6065fccce778, version: 2.0.0}
"""


def test_descriptor_fields(tmp_path: Path) -> None:
    path = tmp_path / "product.yaml"
    path.write_text(US_PRECIPITATION, encoding="utf-8")
    product = load_descriptor(path)
    assert (product.id, product.name, product.domain) == (
        "da6025e9-695b-4022-85ee-695fc2aa0004",
        "US precipitation",
        "precipitation",
    )
    assert product.slug == "us-precipitation"
    assert product.owner == {"name": "Ada Lovelace", "email": "ada@climate-quantum.example"}
    assert product.tags == ("precipitation", "noaa", "source-aligned")
    assert (product.status, product.alignment, product.license) == (
        "active",
        "source-aligned",
        "CC-BY-4.0",
    )
    out = ContractRef("06648f07-b3d9-4eb9-a990-6065fccce778", "1.0.0")
    assert product.versions[0] == ProductVersion("1.0.0", inputs=(), outputs=(out,))
    assert product.versions[1].inputs == (ContractRef("stations", "1.2.0"),)
    # Read converted to ODPS v1.0.0: the early versions survive as the ports' productVersions.
    assert product.form == "early" and product.raw["apiVersion"] == "v1.0.0"
    assert [(p.contract_id, p.version) for p in product.output_ports] == [
        ("06648f07-b3d9-4eb9-a990-6065fccce778", "1.0.0"),
        ("06648f07-b3d9-4eb9-a990-6065fccce778", "2.0.0"),
    ]
    assert [w.code for w in product.warnings] == ["deprecated_descriptor_form"]


def test_explicit_slug_and_minimal_descriptor() -> None:
    product = parse_descriptor(
        {
            "apiVersion": "1.0.0",
            "kind": "DataProduct",
            "id": "p",
            "name": "Météo France: precipitation!",
            "domain": "precipitation",
            "versions": [{"version": "1", "in": [], "out": [{"contractId": "c", "version": "1"}]}],
        }
    )
    assert product.slug == "m-t-o-france-precipitation"
    # ODPS v1.0.0 requires a status: an early product without one is read as active.
    assert (product.description, product.owner, product.tags, product.status) == (
        None,
        None,
        (),
        "active",
    )
    named = parse_descriptor(US_PRECIPITATION.replace("domain:", "slug: us-precip\ndomain:"))
    assert named.slug == "us-precip"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (("kind: DataProduct", "kind: DataContract"), "kind"),
        (("versions:", "verions:"), "versions"),
        (
            (
                "    out:\n      - {contractId: 06648f07-b3d9-4eb9-a990-6065fccce778, "
                "version: 1.0.0}\n",
                "    out: []\n",
            ),
            "versions[0].out",
        ),
        (("    in: []\n", ""), "versions[0].in"),
        (("alignment: source-aligned", "alignment: upstream"), "alignment"),
        (("email: ada@climate-quantum.example", "email: ada"), "owner.email"),
        (("version: 2.0.0\n", "version: 2.0\n"), "versions[1].version"),
    ],
)
def test_descriptor_errors(change: tuple[str, str], path: str) -> None:
    text = US_PRECIPITATION.replace(*change)
    assert text != US_PRECIPITATION
    with pytest.raises(DocumentInvalid) as caught:
        parse_descriptor(text, source="product.yaml")
    assert path in [i.path for i in caught.value.issues]
    assert all(i.file == "product.yaml" for i in caught.value.issues)


RESULT = """\
id: 8d89606f-8ad3-4875-8086-0a83b9e52ecd
kind: ObservabilityResult
apiVersion: 1.0.0
timestamp: 2024-10-09T20:24:21+0000
emitter: com.example.NullCheck
criteria: dq
property: NullCheck
value: 0.00314
unit: percent
element: tab1.rcvr_id
"""


def test_result_fields() -> None:
    result = parse_result(RESULT)
    assert result.timestamp == "2024-10-09T20:24:21+0000"  # as written
    assert (result.criteria, result.property, result.value, result.unit) == (
        "dq",
        "NullCheck",
        0.00314,
        "percent",
    )
    assert (result.element, result.passed, result.api_version) == ("tab1.rcvr_id", None, "1.0.0")
    passed = parse_result(RESULT + "passed: true\nrunId: 42\n")  # extra keys allowed
    assert passed.passed is True
    assert passed.raw["runId"] == 42


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (("criteria: dq", "criteria: qos"), "criteria"),
        (("timestamp: 2024-10-09T20:24:21+0000", "timestamp: 2024-10-09"), "timestamp"),
        (("value: 0.00314", "value: [1]"), "value"),
        (("emitter: com.example.NullCheck\n", ""), "emitter"),
    ],
)
def test_result_errors(change: tuple[str, str], path: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_result(RESULT.replace(*change))
    assert [i.path for i in caught.value.issues] == [path]


def test_validate_file_detects_kind(tmp_path: Path) -> None:
    (tmp_path / "product.yaml").write_text(US_PRECIPITATION, encoding="utf-8")
    (tmp_path / "result.yaml").write_text(RESULT, encoding="utf-8")
    (warning,) = validate_file(tmp_path / "product.yaml")  # the early form: deprecated
    assert (warning.is_error, warning.code) == (False, "deprecated_descriptor_form")
    assert validate_file(tmp_path / "result.yaml") == []
    (tmp_path / "bad.yaml").write_text(RESULT.replace("criteria: dq", "criteria: x"))
    assert [i.path for i in validate_file(tmp_path / "bad.yaml")] == ["criteria"]
    (issue,) = validate_file(tmp_path / "missing.yaml")
    assert issue.path == "$" and "cannot read the file" in issue.message
