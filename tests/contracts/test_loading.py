"""Loading contracts as their authors meant: YAML dates, ${ENV} placeholders, errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from contracts import (
    ContractDocument,
    DocumentInvalid,
    DocumentIssue,
    load_contract,
    parse_contract,
)

AIR_QUALITY = """\
apiVersion: v3.1.0
kind: DataContract
id: 4d9f2b4e-air-quality
name: NYC air quality
version: 1.0.0
status: active
domain: air-quality
team:
  - username: ada
    role: owner
    dateIn: 2024-01-01
    dateOut: 2025-06-30
slaProperties:
  - property: endOfSupport
    value: 2030-01-01T04:00:00Z
  - property: generalAvailability
    value: 2014-10-23
  - property: retention
    value: 100
    unit: y
contractCreatedTs: 2024-03-01T10:00:00+01:00
"""

SERVERS = """\
apiVersion: {version}
kind: DataContract
id: pg
version: 1.0.0
status: active
description:
  usage: "SELECT '${{NOT_A_SERVER_FIELD}}'"
servers:
  - server: warehouse
    type: postgres
    host: ${{PG_HOST}}
    port: {port}
    database: ${{PG_DB:-mesh}}
    schema: public
"""


def test_unquoted_dates_stay_the_text_written() -> None:
    doc = parse_contract(AIR_QUALITY, source="aq.yaml", env={})
    assert doc.raw["team"][0]["dateIn"] == "2024-01-01"
    assert doc.raw["team"][0]["dateOut"] == "2025-06-30"
    assert doc.raw["slaProperties"][0]["value"] == "2030-01-01T04:00:00Z"
    assert doc.raw["slaProperties"][1]["value"] == "2014-10-23"
    assert doc.raw["slaProperties"][2]["value"] == 100
    assert doc.raw["contractCreatedTs"] == "2024-03-01T10:00:00+01:00"
    # JSON-ready, and the model sees the same strings.
    assert json.loads(json.dumps(doc.raw)) == doc.raw
    assert doc.model.team[0].dateIn == "2024-01-01"  # type: ignore[index,union-attr]


def test_date_objects_in_a_mapping_become_iso_strings() -> None:
    data = {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": "d",
        "version": "1.0.0",
        "status": "active",
        "team": [{"username": "ada", "dateIn": dt.date(2024, 1, 1)}],
        "slaProperties": [
            {"property": "endOfSupport", "value": dt.datetime(2030, 1, 1, 4, tzinfo=dt.UTC)}
        ],
    }
    doc = parse_contract(data, env={})
    assert doc.raw["team"][0]["dateIn"] == "2024-01-01"
    assert doc.raw["slaProperties"][0]["value"] == "2030-01-01T04:00:00+00:00"
    assert isinstance(data["team"][0]["dateIn"], dt.date)  # type: ignore[index]  # not mutated


def test_contract_document_fields() -> None:
    doc = parse_contract(AIR_QUALITY, source="aq.yaml", env={})
    assert isinstance(doc, ContractDocument)
    assert (doc.id, doc.version, doc.api_version) == ("4d9f2b4e-air-quality", "1.0.0", "v3.1.0")
    assert (doc.name, doc.status, doc.domain, doc.source) == (
        "NYC air quality",
        "active",
        "air-quality",
        "aq.yaml",
    )
    with pytest.raises(AttributeError):
        doc.id = "other"  # type: ignore[misc]


def test_placeholders_resolved_from_env() -> None:
    text = SERVERS.format(version="v3.1.0", port="${PG_PORT}")
    doc = parse_contract(text, env={"PG_HOST": "db.internal", "PG_PORT": "6543"})
    server = doc.raw["servers"][0]
    assert server["host"] == "db.internal"
    assert server["port"] == 6543  # typed as if the number had been written
    assert server["database"] == "mesh"  # the default
    assert doc.model.servers[0].port == 6543  # type: ignore[index]
    # Outside servers, ${...} is ordinary text.
    assert doc.raw["description"]["usage"] == "SELECT '${NOT_A_SERVER_FIELD}'"


def test_placeholder_default_when_empty_and_env_wins_over_default() -> None:
    text = SERVERS.format(version="v3.1.0", port="${PG_PORT:-5432}")
    empty = parse_contract(text, env={"PG_HOST": "h", "PG_PORT": ""})
    assert empty.raw["servers"][0]["port"] == 5432
    chosen = parse_contract(text, env={"PG_HOST": "h", "PG_DB": "prod", "PG_PORT": "15432"})
    assert chosen.raw["servers"][0]["database"] == "prod"
    assert chosen.raw["servers"][0]["port"] == 15432


@pytest.mark.parametrize("version", ["v3.0.2", "v3.1.0", "v3.2.0"])
def test_unresolved_placeholders_stay_as_written_and_validate(version: str) -> None:
    # port wants an integer, but an unresolved placeholder is not judged by type.
    doc = parse_contract(SERVERS.format(version=version, port="${PG_PORT}"), env={})
    server = doc.raw["servers"][0]
    assert server["host"] == "${PG_HOST}"
    assert server["port"] == "${PG_PORT}"
    assert type(server["port"]) is str  # a plain str in raw, no marker subclass
    assert server["database"] == "mesh"


def test_partly_resolved_text_keeps_the_rest() -> None:
    text = SERVERS.format(version="v3.1.0", port="5432").replace(
        "host: ${PG_HOST}", "host: ${PG_HOST}.${PG_ZONE}"
    )
    doc = parse_contract(text, env={"PG_HOST": "db"})
    assert doc.raw["servers"][0]["host"] == "db.${PG_ZONE}"


def test_resolved_but_wrong_value_is_still_checked() -> None:
    text = SERVERS.format(version="v3.1.0", port="${PG_PORT}")
    with pytest.raises(DocumentInvalid) as caught:
        parse_contract(text, source="s.yaml", env={"PG_HOST": "h", "PG_PORT": "fivefour"})
    assert [str(i) for i in caught.value.issues] == [
        "s.yaml: servers[0].port: 'fivefour' is not of type integer (expected integer)"
    ]


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_HOST", "from-environ")
    monkeypatch.setenv("PG_PORT", "7000")
    doc = parse_contract(SERVERS.format(version="v3.1.0", port="${PG_PORT}"))
    assert doc.raw["servers"][0]["host"] == "from-environ"
    assert doc.raw["servers"][0]["port"] == 7000


def test_load_contract_reads_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "aq.yaml"
    yaml_file.write_text(AIR_QUALITY, encoding="utf-8")
    from_yaml = load_contract(yaml_file, env={})
    json_file = tmp_path / "aq.json"
    json_file.write_text(json.dumps(from_yaml.raw), encoding="utf-8")
    from_json = load_contract(str(json_file), env={})
    assert from_json.raw == from_yaml.raw
    assert from_json.source == str(json_file)


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "apiVersion": "v3.1.0",\n  "kind" "DataContract"\n}\n', encoding="utf-8")
    with pytest.raises(DocumentInvalid) as caught:
        load_contract(bad, env={})
    (issue,) = caught.value.issues
    assert issue.path == "$"
    assert "line 3, column 10" in issue.message


def test_all_issues_reported_sorted_and_unique() -> None:
    text = """\
apiVersion: v3.1.0
kind: DataContract
id: many
version: 1.0.0
status: active
schema:
  - name: t
    properties:
      - {name: a, logicalType: strin}
      - {name: b, logicalType: integer, required: maybe}
  - name: u
    properties:
      - {name: c, logicalType: numbr}
"""
    with pytest.raises(DocumentInvalid) as caught:
        parse_contract(text, source="m.yaml", env={})
    paths = [i.path for i in caught.value.issues]
    assert paths == [
        "schema[0].properties[0].logicalType",
        "schema[0].properties[1].required",
        "schema[1].properties[0].logicalType",
    ]
    assert str(caught.value).startswith("m.yaml: schema[0].properties[0].logicalType: 'strin'")
    assert str(caught.value).endswith("(and 2 more issues)")


def test_issues_sort_list_indices_numerically() -> None:
    props = "\n".join(f"      - {{name: c{i}, logicalType: string}}" for i in range(11))
    text = (
        "apiVersion: v3.1.0\nkind: DataContract\nid: n\nversion: 1.0.0\nstatus: active\n"
        f"schema:\n  - name: t\n    properties:\n{props}\n"
    ).replace("{name: c2, logicalType: string}", "{name: c2, logicalType: x}")
    text = text.replace("{name: c10, logicalType: string}", "{name: c10, logicalType: y}")
    with pytest.raises(DocumentInvalid) as caught:
        parse_contract(text, env={})
    assert [i.path for i in caught.value.issues] == [
        "schema[0].properties[2].logicalType",
        "schema[0].properties[10].logicalType",
    ]


def test_issue_str_format() -> None:
    issue = DocumentIssue("contracts/x.yaml", "schema[0].properties[3].logicalType", "bad", "a")
    assert str(issue) == "contracts/x.yaml: schema[0].properties[3].logicalType: bad (expected a)"
    assert str(DocumentIssue("f", "id", "required field missing")) == (
        "f: id: required field missing"
    )


def test_odd_keys_are_quoted_in_paths() -> None:
    text = (
        "apiVersion: v3.1.0\nkind: DataContract\nid: k\nversion: 1.0.0\nstatus: active\n"
        "my purpose: x\n"
    )
    with pytest.raises(DocumentInvalid) as caught:
        parse_contract(text, env={})
    assert [i.path for i in caught.value.issues] == ['["my purpose"]']


def test_bytes_with_bom_and_empty_document() -> None:
    doc = parse_contract(("\ufeff" + AIR_QUALITY).encode("utf-8"), env={})
    assert doc.id == "4d9f2b4e-air-quality"
    with pytest.raises(DocumentInvalid) as caught:
        parse_contract("", source="empty.yaml", env={})
    assert str(caught.value.issues[0]) == (
        "empty.yaml: $: the document holds nothing (expected a mapping of fields)"
    )


def test_anchors_and_merge_keys_load() -> None:
    text = """\
apiVersion: v3.1.0
kind: DataContract
id: anchors
version: 1.0.0
status: active
servers:
  - &base {server: files, type: local, path: data/a.parquet, format: parquet}
  - <<: *base
    server: files-b
    path: data/b.parquet
"""
    doc = parse_contract(text, env={})
    assert doc.raw["servers"][1] == {
        "server": "files-b",
        "type": "local",
        "path": "data/b.parquet",
        "format": "parquet",
    }
