"""Each contract is checked against the schema of its own apiVersion."""

from __future__ import annotations

import pytest

from contracts import SUPPORTED_API_VERSIONS, DocumentInvalid, parse_contract

RELATIONSHIPS = """\
apiVersion: {version}
kind: DataContract
id: rel
version: 1.0.0
status: active
schema:
  - name: stations
    properties:
      - {{name: station_id, logicalType: string, primaryKey: true}}
  - name: readings
    properties:
      - name: station_id
        logicalType: string
        relationships:
          - to: stations.station_id
"""

ENUM_V320 = """\
apiVersion: {version}
kind: DataContract
id: enum
version: 1.0.0
status: active
schema:
  - name: readings
    properties:
      - name: unit
        logicalType: string
        enum:
          - {{value: mm}}
          - {{value: in}}
"""

TIMESTAMP = """\
apiVersion: {version}
kind: DataContract
id: ts
version: 1.0.0
status: active
schema:
  - name: readings
    properties:
      - {{name: observed_at, logicalType: timestamp}}
"""


def _issues(text: str) -> list[str]:
    try:
        parse_contract(text, source="c.yaml", env={})
    except DocumentInvalid as exc:
        return [f"{i.path}: {i.message}" for i in exc.issues]
    return []


@pytest.mark.parametrize("version", ["v3.0.0", "v3.0.1", "v3.0.2"])
def test_relationships_rejected_before_v3_1_0(version: str) -> None:
    issues = _issues(RELATIONSHIPS.format(version=version))
    assert "schema[1].properties[0].relationships: unknown field 'relationships'" in issues


@pytest.mark.parametrize("version", ["v3.1.0", "v3.2.0"])
def test_relationships_accepted_from_v3_1_0(version: str) -> None:
    assert _issues(RELATIONSHIPS.format(version=version)) == []


def test_enum_values_only_from_v3_2_0() -> None:
    assert _issues(ENUM_V320.format(version="v3.2.0")) == []
    assert _issues(ENUM_V320.format(version="v3.1.0")) == [
        "schema[0].properties[0].enum: unknown field 'enum'"
    ]


def test_timestamp_logical_type_only_from_v3_1_0() -> None:
    assert _issues(TIMESTAMP.format(version="v3.1.0")) == []
    (issue,) = _issues(TIMESTAMP.format(version="v3.0.2"))
    assert issue.startswith("schema[0].properties[0].logicalType: 'timestamp' is not one of")


def test_status_required_until_v3_2_0() -> None:
    text = "apiVersion: {v}\nkind: DataContract\nid: s\nversion: 1.0.0\n"
    assert _issues(text.format(v="v3.1.0")) == ["status: required field missing"]
    assert _issues(text.format(v="v3.2.0")) == []


@pytest.mark.parametrize("api_version", ["v3.3.0", "3.1.0", "v2.2.2", None, 3.1])
def test_unsupported_api_version_lists_supported_ones(api_version: object) -> None:
    data = {"kind": "DataContract", "id": "x", "version": "1", "status": "active"}
    if api_version is not None:
        data["apiVersion"] = api_version  # type: ignore[assignment]
    with pytest.raises(DocumentInvalid) as caught:
        parse_contract(data, source="x.yaml", env={})
    (issue,) = caught.value.issues
    assert issue.path == "apiVersion"
    assert issue.expected == "one of " + ", ".join(SUPPORTED_API_VERSIONS)
    assert SUPPORTED_API_VERSIONS == ("v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0", "v3.2.0")
