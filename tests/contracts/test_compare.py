"""contracts.compare: each kind of change with its severity, by name not position; the bump."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import load_contract
from contracts.compare import bump_level, compare_contracts, declared_bump

DEMO = "demo/products/global-precipitation/contracts/global-daily-precipitation-{}.yaml"


def base() -> dict[str, Any]:
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": "c1",
        "version": "1.0.0",
        "status": "active",
        "description": {"purpose": "orders"},
        "tags": ["a", "b"],
        "schema": [
            {
                "name": "orders",
                "description": "one row per order",
                "properties": [
                    {"name": "id", "logicalType": "integer", "primaryKey": True,
                     "required": True, "physicalType": "INT"},
                    {"name": "amount", "logicalType": "number", "physicalType": "DECIMAL(10,2)",
                     "quality": [{"metric": "invalidValues", "mustBeLessThan": 5}]},
                    {"name": "note", "logicalType": "string",
                     "logicalTypeOptions": {"maxLength": 100}},
                ],
                "quality": [{"name": "rows", "metric": "rowCount", "mustBeGreaterThan": 10}],
            }
        ],
        "servers": [{"server": "prod", "type": "postgres", "host": "db", "port": 5432,
                     "database": "d", "schema": "s"}],
        "roles": [{"role": "reader", "access": "read"}],
        "slaProperties": [
            {"property": "endOfSupport", "value": "2030-01-01T00:00:00Z"},
            {"property": "retention", "value": 10, "unit": "y"},
        ],
        "customProperties": [{"property": "owner", "value": "x"}],
    }  # fmt: skip


def changed(edit: Any) -> list[tuple[str, str, str]]:
    old = base()
    new = copy.deepcopy(old)
    edit(new)
    return [(c.path, c.kind, c.severity) for c in compare_contracts(old, new).changes]


def props(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["schema"][0]["properties"]  # type: ignore[no-any-return]


AMOUNT = "schema[orders].properties[amount]"


def test_a_contract_compared_with_itself_has_no_change() -> None:
    result = compare_contracts(base(), base())
    assert result.changes == () and result.required_bump == "none"


def test_order_of_columns_is_no_change() -> None:
    assert changed(lambda d: props(d).reverse()) == []


CASES = [
    ("description", lambda d: d["description"].update(purpose="x"),
     ("description", "description_changed", "patch")),
    ("column description", lambda d: props(d)[1].update(description="money"),
     (f"{AMOUNT}.description", "description_changed", "patch")),
    ("stakeholders", lambda d: d.update(team={"name": "t"}), ("team", "team_changed", "patch")),
    ("tags", lambda d: d.update(tags=["c"]), ("tags", "tags_changed", "patch")),
    ("optional column added", lambda d: props(d).append({"name": "x", "logicalType": "date"}),
     ("schema[orders].properties[x]", "property_added", "minor")),
    ("required column added",
     lambda d: props(d).append({"name": "x", "logicalType": "date", "required": True}),
     ("schema[orders].properties[x]", "property_added", "major")),
    ("column removed", lambda d: props(d).pop(1), (AMOUNT, "property_removed", "major")),
    ("table added", lambda d: d["schema"].append({"name": "t2"}),
     ("schema[t2]", "object_added", "minor")),
    ("table removed", lambda d: d["schema"].pop(), ("schema[orders]", "object_removed", "major")),
    ("type changed", lambda d: props(d)[1].update(logicalType="string"),
     (f"{AMOUNT}.logicalType", "type_changed", "major")),
    ("type widened", lambda d: props(d)[0].update(logicalType="number"),
     ("schema[orders].properties[id].logicalType", "type_changed", "minor")),
    ("physical type narrowed", lambda d: props(d)[1].update(physicalType="DECIMAL(8,2)"),
     (f"{AMOUNT}.physicalType", "type_changed", "major")),
    ("physical type widened", lambda d: props(d)[0].update(physicalType="BIGINT"),
     ("schema[orders].properties[id].physicalType", "type_changed", "minor")),
    ("max length narrowed",
     lambda d: props(d)[2].update(logicalTypeOptions={"maxLength": 10}),
     ("schema[orders].properties[note].logicalTypeOptions.maxLength",
      "type_options_tightened", "major")),
    ("max length widened",
     lambda d: props(d)[2].update(logicalTypeOptions={"maxLength": 200}),
     ("schema[orders].properties[note].logicalTypeOptions.maxLength",
      "type_options_loosened", "minor")),
    ("required tightened", lambda d: props(d)[1].update(required=True),
     (f"{AMOUNT}.required", "required_tightened", "major")),
    ("required loosened", lambda d: props(d)[0].update(required=False),
     ("schema[orders].properties[id].required", "required_loosened", "major")),
    ("primary key changed", lambda d: props(d)[0].pop("primaryKey"),
     ("schema[orders].properties[id].primaryKey", "primary_key_changed", "major")),
    ("unique added", lambda d: props(d)[2].update(unique=True),
     ("schema[orders].properties[note].unique", "unique_tightened", "major")),
    ("logic changed", lambda d: props(d)[1].update(transformLogic="a * 2"),
     (f"{AMOUNT}.transformLogic", "logic_changed", "minor")),
    ("quality rule added",
     lambda d: d["schema"][0]["quality"].append({"metric": "duplicateValues", "mustBe": 0}),
     ("schema[orders].quality[duplicateValues]", "quality_rule_added", "minor")),
    ("quality rule removed", lambda d: d["schema"][0].pop("quality"),
     ("schema[orders].quality[rows]", "quality_rule_removed", "minor")),
    ("quality rule tightened", lambda d: d["schema"][0]["quality"][0].update(mustBeGreaterThan=99),
     ("schema[orders].quality[rows].mustBeGreaterThan", "quality_rule_tightened", "minor")),
    ("column rule loosened", lambda d: props(d)[1]["quality"][0].update(mustBeLessThan=50),
     (f"{AMOUNT}.quality[invalidValues].mustBeLessThan", "quality_rule_loosened", "minor")),
    ("end of support earlier",
     lambda d: d["slaProperties"][0].update(value="2027-01-01T00:00:00Z"),
     ("slaProperties[endOfSupport].value", "sla_shortened", "major")),
    ("end of support later",
     lambda d: d["slaProperties"][0].update(value="2031-01-01T00:00:00Z"),
     ("slaProperties[endOfSupport].value", "sla_changed", "minor")),
    ("retention shorter", lambda d: d["slaProperties"][1].update(value=5),
     ("slaProperties[retention].value", "sla_shortened", "major")),
    ("sla added", lambda d: d["slaProperties"].append({"property": "latency", "value": 1}),
     ("slaProperties[latency]", "sla_property_added", "minor")),
    ("server moved", lambda d: d["servers"][0].update(host="db2"),
     ("servers[prod].host", "server_moved", "major")),
    ("server added", lambda d: d["servers"].append({"server": "dev", "type": "duckdb"}),
     ("servers[dev]", "server_added", "minor")),
    ("server removed", lambda d: d.pop("servers"), ("servers[prod]", "server_removed", "major")),
    ("role removed", lambda d: d["roles"].clear(), ("roles[reader]", "role_removed", "major")),
    ("custom property added",
     lambda d: d["customProperties"].append({"property": "k", "value": 1}),
     ("customProperties[k]", "custom_property_added", "minor")),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_kind_of_change_has_its_path_kind_and_severity(
    edit: Any, expected: tuple[str, str, str]
) -> None:
    assert changed(edit) == [expected]


def test_a_renamed_column_is_one_change_not_two() -> None:
    assert changed(lambda d: props(d)[2].update(name="comment")) == [
        ("schema[orders].properties[note]", "property_renamed", "major")
    ]


def test_nested_columns_are_compared_by_name() -> None:
    def nest(doc: dict[str, Any]) -> None:
        props(doc).append(
            {"name": "addr", "logicalType": "object", "properties": [{"name": "zip"}]}
        )

    old = base()
    nest(old)
    new = copy.deepcopy(old)
    props(new)[-1]["properties"][0]["logicalType"] = "integer"
    paths = [c.path for c in compare_contracts(old, new).changes]
    assert paths == ["schema[orders].properties[addr].properties[zip].logicalType"]


def test_the_bump_is_the_highest_severity() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["tags"] = ["z"]
        props(d).append({"name": "x"})

    old = base()
    new = copy.deepcopy(old)
    edit(new)
    result = compare_contracts(old, new)
    assert result.required_bump == "minor"
    assert result.compatible_with("minor") and not result.compatible_with("patch")


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.0.0", "1.0.1", "patch"),
        ("1.0.0", "1.1.0", "minor"),
        ("1.4.2", "2.0.0", "major"),
        ("v1", "v2", "major"),
        ("1.0.0", "1.0.0", "none"),
        ("1.1.0", "1.0.0", None),
        ("latest", "1.0.0", None),
        ("2.0.0-rc1", "2.0.0", "major"),  # a pre-release promises nothing
        ("0.3.0", "0.3.1", "major"),  # nor does 0.y.z
        ("1.0.0+b1", "1.0.0+b2", "none"),
    ],
)
def test_declared_bump(old: str, new: str, bump: str | None) -> None:
    assert declared_bump(old, new) == bump


def test_the_demo_v2_of_global_precipitation_is_a_major_change() -> None:
    v1, v2 = (load_contract(DEMO.format(v)) for v in ("1.0.0", "2.0.0"))
    result = compare_contracts(v1.raw, v2.raw)
    kinds = {(c.path, c.kind) for c in result.changes}
    assert (
        "schema[global_daily_precipitation].properties[station_key]",
        "property_removed",
    ) in kinds
    assert result.required_bump == "major" == declared_bump(v1.version, v2.version)


def test_five_thousand_columns_compare_in_bounded_time() -> None:
    """Hostile size: 5,000 columns all changed, plus 5,000 removed and 5,000 added.
    Matching is by dictionary (linear): measured ~0.1 s; the bound is 2 s under load."""
    old = base()
    new = copy.deepcopy(old)
    old["schema"][0]["properties"] = [
        {"name": f"c{i}", "logicalType": "string", "description": "d"} for i in range(10_000)
    ]
    new["schema"][0]["properties"] = [
        {"name": f"c{i}", "logicalType": "integer", "description": "e"} for i in range(5_000)
    ] + [{"name": f"n{i}", "logicalType": "date"} for i in range(5_000)]
    started = time.perf_counter()
    result = compare_contracts(old, new)
    elapsed = time.perf_counter() - started
    assert len(result.changes) == 5_000 * 2 + 5_000 + 5_000
    assert elapsed < 2.0


# -- properties ------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "b", "name", ""]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["name", "properties", "required", "x"]), inner, max_size=4
        )
    ),
    max_leaves=20,
)
_column = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c", "d"])},
    optional={
        "logicalType": st.sampled_from(["string", "integer", "number", "date"]),
        "physicalType": st.sampled_from(["INT", "BIGINT", "VARCHAR(5)", "VARCHAR(9)"]),
        "required": st.booleans(),
        "unique": st.booleans(),
        "primaryKey": st.booleans(),
        "description": st.sampled_from(["x", "y"]),
        "logicalTypeOptions": st.dictionaries(
            st.sampled_from(["maxLength", "minimum", "format"]), st.integers(0, 9), max_size=2
        ),
        "quality": st.lists(
            st.fixed_dictionaries(
                {"metric": st.sampled_from(["nullValues", "rowCount"])},
                optional={"mustBeLessThan": st.integers(0, 9), "description": st.just("q")},
            ),
            max_size=2,
        ),
    },
)
_contract = st.fixed_dictionaries(
    {"apiVersion": st.just("v3.1.0"), "id": st.just("c"), "version": st.just("1.0.0")},
    optional={
        "tags": st.lists(st.sampled_from(["t1", "t2"]), max_size=2),
        "description": st.fixed_dictionaries({"purpose": st.sampled_from(["p", "q"])}),
        "schema": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["o1", "o2"])},
                optional={"properties": st.lists(_column, max_size=4)},
            ),
            max_size=2,
        ),
        "slaProperties": st.lists(
            st.fixed_dictionaries(
                {
                    "property": st.sampled_from(["retention", "endOfSupport"]),
                    "value": st.integers(0, 9),
                }
            ),
            max_size=2,
        ),  # fmt: skip
        "roles": st.lists(st.fixed_dictionaries({"role": st.sampled_from(["r1", "r2"])})),
        "extra": _json,
    },
)


@settings(max_examples=150, deadline=None)
@given(_contract)
def test_property_a_contract_compared_with_itself_gives_no_change(doc: dict[str, Any]) -> None:
    result = compare_contracts(doc, copy.deepcopy(doc))
    assert result.changes == () and result.required_bump == "none"


@settings(max_examples=200, deadline=None)
@given(_contract, _contract)
def test_property_the_bump_is_the_max_severity(old: dict[str, Any], new: dict[str, Any]) -> None:
    result = compare_contracts(old, new)
    levels = [bump_level(c.severity) for c in result.changes]
    assert bump_level(result.required_bump) == max(levels, default=0)
    assert all(1 <= level <= 3 for level in levels)
    if old == new:
        assert result.changes == ()
    assert compare_contracts(old, new) == result  # deterministic


_malformed = st.dictionaries(st.sampled_from(["schema", "servers", "roles", "tags", "x"]), _json)


@settings(max_examples=150, deadline=None)
@given(_malformed, _malformed)
def test_property_malformed_documents_never_crash(old: dict[str, Any], new: dict[str, Any]) -> None:
    result = compare_contracts(old, new)
    assert compare_contracts(old, old).changes == ()
    assert all(c.severity in ("patch", "minor", "major") for c in result.changes)
