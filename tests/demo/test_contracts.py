"""Every demo contract is complete: described, ruled, served, staffed, with SLAs."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.demo.documents import Contract, all_contracts, products, quality_rules, team_members

CONTRACTS = all_contracts()
IDS = [c.label for c in CONTRACTS]
DIMENSIONS = {"accuracy", "completeness", "conformity", "consistency", "coverage", "timeliness",
              "uniqueness"}  # fmt: skip
PROPERTY_FIELDS = ("businessName", "logicalType", "physicalType", "description", "classification")


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_description_and_fundamentals(contract: Contract) -> None:
    raw = contract.raw
    for part in ("purpose", "usage", "limitations"):
        assert len(raw["description"][part]) > 40, part
    for key in ("tags", "authoritativeDefinitions", "customProperties", "roles", "support"):
        assert raw[key], key
    assert set(raw["price"]) == {"priceAmount", "priceCurrency", "priceUnit"}
    assert raw["tenant"] == "ClimateQuantumInc"
    assert all(r.get("access") in ("read", "write") for r in raw["roles"])


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_every_column_is_described(contract: Contract) -> None:
    for obj in contract.raw["schema"]:
        for key in ("businessName", "description", "physicalName", "dataGranularityDescription"):
            assert obj.get(key), f"{obj['name']}.{key}"
        assert any(p.get("primaryKey") for p in obj["properties"]), obj["name"]
        for prop in obj["properties"]:
            where = f"{obj['name']}.{prop['name']}"
            for key in PROPERTY_FIELDS:
                assert prop.get(key), f"{where}: {key}"
            assert isinstance(prop.get("required"), bool), where
            assert isinstance(prop.get("examples"), list) and prop["examples"], where
            if prop.get("primaryKey"):
                assert prop["required"] and prop["primaryKeyPosition"] >= 1, where


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_quality_rules(contract: Contract) -> None:
    rules = quality_rules(contract.raw)
    tables = {obj["name"] for obj in contract.raw["schema"]}
    assert {t for t, c, _ in rules if c is None} == tables  # every table has its own rules
    assert any(c is not None for _, c, _ in rules)  # and some columns too
    for table, column, rule in rules:
        where = f"{table}.{column}"
        assert rule["dimension"] in DIMENSIONS, where
        assert rule["severity"] in ("error", "warning", "info"), where
        assert rule["businessImpact"] in ("operational", "analytical", "regulatory"), where
        assert rule["description"], where
        if rule.get("type") == "sql":
            assert rule["query"].lstrip().upper().startswith("SELECT"), where


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_service_levels(contract: Contract) -> None:
    raw = contract.raw
    sla = {s["property"]: s for s in raw["slaProperties"]}
    assert {"latency", "retention", "generalAvailability", "endOfSupport", "frequency"} <= set(sla)
    columns = {f"{obj['name']}.{p['name']}": p for obj in raw["schema"] for p in obj["properties"]}
    assert raw["slaDefaultElement"] in columns
    latency = sla["latency"]
    assert latency["unit"] in ("d", "y") and latency["value"] > 0
    assert columns[latency["element"]]["logicalType"] in ("date", "timestamp")
    assert sla["retention"]["unit"] == "y"
    available = date.fromisoformat(str(sla["generalAvailability"]["value"])[:10])
    ends = date.fromisoformat(str(sla["endOfSupport"]["value"])[:10])
    assert available < ends


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_team_has_a_human_lineage(contract: Contract) -> None:
    members = {m["username"]: m for m in team_members(contract.raw)}
    assert all(m.get("role") and m.get("dateIn") and m.get("name") for m in members.values())
    replaced = [m for m in members.values() if m.get("dateOut")]
    assert replaced, "nobody was ever replaced"
    for gone in replaced:
        successor = members[gone["replacedByUsername"]]
        assert successor["role"] == gone["role"]
        assert date.fromisoformat(gone["dateIn"]) < date.fromisoformat(gone["dateOut"])
        assert date.fromisoformat(successor["dateIn"]) > date.fromisoformat(gone["dateOut"])


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_relationships_name_real_columns(contract: Contract) -> None:
    raw = contract.raw
    columns = {f"{o['name']}.{p['name']}" for o in raw["schema"] for p in o["properties"]}
    found = []
    for obj in raw["schema"]:
        for rel in obj.get("relationships", []):
            found.append((rel["from"], rel["to"]))
        for prop in obj["properties"]:
            for rel in prop.get("relationships", []):
                found.append((f"{obj['name']}.{prop['name']}", rel["to"]))
    for source, target in found:
        for ref in [*_listed(source), *_listed(target)]:
            assert ref in columns, ref
    if raw["apiVersion"] == "v3.1.0" and len(raw["schema"]) > 1:
        assert found, "a v3.1 contract with several tables relates them"


def _listed(ref: str | list[str]) -> list[str]:
    return ref if isinstance(ref, list) else [ref]


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_servers(contract: Contract) -> None:
    slug = contract.path.parent.parent.name
    domain = contract.raw["domain"]
    name = f"{domain}_{slug}".replace("-", "_")
    written = {s["server"]: s for s in contract.written["servers"]}
    local = written["local"]
    assert local["type"] == "local" and local["format"] in ("parquet", "csv")
    assert re.fullmatch(rf"demo/data/{slug}/[a-z0-9_{{}}]+\.{local['format']}", local["path"])
    pg = written["postgres"]
    assert (pg["type"], pg["host"], pg["port"]) == (
        "postgres", "${MESHGATE_DEMO_PG_HOST:-127.0.0.1}", "${MESHGATE_DEMO_PG_PORT:-55432}"
    )  # fmt: skip
    assert pg["database"] == "${MESHGATE_DEMO_PG_DATABASE:-meshgate_demo}"
    assert pg["schema"] == name
    resolved = {s["server"]: s for s in contract.raw["servers"]}
    assert (resolved["postgres"]["port"], resolved["postgres"]["database"]) == (
        55432,
        "meshgate_demo",
    )
    if "mysql" in written:
        my = written["mysql"]
        assert (my["type"], my["host"], my["port"]) == (
            "mysql", "${MESHGATE_DEMO_MYSQL_HOST:-127.0.0.1}", "${MESHGATE_DEMO_MYSQL_PORT:-53306}"
        )  # fmt: skip
        assert resolved["mysql"]["database"] == name


def test_server_mix_across_the_mesh() -> None:
    with_mysql = {
        name
        for name, p in products().items()
        if all(any(s["type"] == "mysql" for s in c.raw["servers"]) for c in p.outputs())
    }
    assert len(with_mysql) >= 3
    csv = {
        name
        for name, p in products().items()
        if any(
            s["format"] == "csv"
            for c in p.outputs()
            for s in c.raw["servers"]
            if s["type"] == "local"
        )
    }
    assert 1 <= len(csv) <= 2


def test_nyc_air_quality_follows_domain_md() -> None:
    (contract,) = products()["nyc-air-quality"].outputs()
    (table,) = contract.raw["schema"]
    columns = {p["name"]: p for p in table["properties"]}
    assert list(columns) == [
        "UniqueID", "IndicatorID", "Name", "Measure", "MeasureInfo", "GeoTypeName",
        "GeoJoinID", "GeoPlaceName", "TimePeriod", "StartDate", "DataValue", "Message",
    ]  # fmt: skip
    unique_id = columns["UniqueID"]
    assert unique_id["primaryKey"] and unique_id["required"]
    assert unique_id["logicalType"] == "integer"
    rules = unique_id["quality"]
    assert any(r["rule"] == "nullCheck" and r["mustBe"] == 0 for r in rules)
    assert any(r.get("mustBeGreaterOrEqualTo") == 100000 for r in rules)
    value = columns["DataValue"]
    assert value["logicalType"] == "number"
    (bounds,) = [r for r in value["quality"] if r["rule"] == "rangeCheck"]
    assert (bounds["mustBeGreaterOrEqualTo"], bounds["mustBeLessThan"]) == (0, 500)
    sla = {s["property"]: s for s in contract.raw["slaProperties"]}
    assert sla["endOfSupport"]["value"] == "2030-01-01T04:00:00Z"
    assert (sla["retention"]["value"], sla["retention"]["unit"]) == (100, "y")
    assert sla["generalAvailability"]["value"] == "2014-10-23"
    assert columns["Name"]["examples"][0] == "Ozone (O3)"
