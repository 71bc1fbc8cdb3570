"""Build small product folders for the kit's tests: descriptor, one contract, Parquet data.

The default folder meets every certification policy except one: its ``data_value``
column breaks its range rule in exactly one row, on purpose.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

PRODUCT_ID = "0b7d1f0e-9a52-4c39-8d44-3f2c51a7e001"
CONTRACT_ID = "5a9c2b17-6f0e-4d8a-b1c3-77e2d4f0a002"
TABLE = "air_quality"

NOW = datetime.now(UTC).replace(microsecond=0)
ROWS: list[dict[str, Any]] = [
    {"unique_id": 100001, "name": "Ozone (O3)", "data_value": 31.2, "borough": "Bronx",
     "observed_at": NOW - timedelta(hours=30)},
    {"unique_id": 100002, "name": "Ozone (O3)", "data_value": 28.9, "borough": None,
     "observed_at": NOW - timedelta(hours=20)},
    {"unique_id": 100003, "name": "Fine particles (PM 2.5)", "data_value": 612.5,
     "borough": "Queens", "observed_at": NOW - timedelta(hours=10)},
    {"unique_id": 100004, "name": "Nitrogen dioxide (NO2)", "data_value": 19.4,
     "borough": "Brooklyn", "observed_at": NOW - timedelta(hours=5)},
    {"unique_id": 100005, "name": "Ozone (O3)", "data_value": 0.0, "borough": "Manhattan",
     "observed_at": NOW - timedelta(hours=1)},
]  # fmt: skip

DESCRIPTOR: dict[str, Any] = {
    "apiVersion": "1.0.0",
    "kind": "DataProduct",
    "id": PRODUCT_ID,
    "name": "NYC air quality",
    "domain": "air-quality",
    "description": "Air quality measures of New York City neighbourhoods.",
    "owner": {"name": "Ada Lovelace", "email": "ada@climate-quantum.example"},
    "tags": ["air-quality", "nyc"],
    "status": "active",
    "alignment": "source-aligned",
    "license": "CC-BY-4.0",
    "versions": [
        {"version": "1.0.0", "in": [], "out": [{"contractId": CONTRACT_ID, "version": "1.0.0"}]}
    ],
}

# The same product written in ODPS v1.0.0, the native form (docs/product-owner.md).
DESCRIPTOR_V1: dict[str, Any] = {
    "apiVersion": "v1.0.0",
    "kind": "DataProduct",
    "id": PRODUCT_ID,
    "name": "NYC air quality",
    "version": "1.0.0",
    "status": "active",
    "domain": "air-quality",
    "description": {
        "purpose": "Air quality measures of New York City neighbourhoods.",
        "limitations": "Five measures, for tests.",
        "usage": "Read the air_quality table.",
    },
    "tags": ["air-quality", "nyc"],
    "customProperties": [
        {"property": "alignment", "value": "source-aligned"},
        {"property": "license", "value": "CC-BY-4.0", "description": "Of the data."},
    ],
    "authoritativeDefinitions": [
        {"type": "businessDefinition", "url": "https://example.org/air-quality"}
    ],
    "outputPorts": [
        {"name": "air-quality", "description": "Measures", "type": "tables",
         "version": "1.0.0", "contractId": CONTRACT_ID}
    ],
    "support": [
        {"channel": "#air-quality", "url": "https://example.org/slack/air-quality",
         "tool": "slack", "scope": "interactive"},
        {"channel": "issues", "url": "mailto:ada@climate-quantum.example", "tool": "email",
         "scope": "issues"},
    ],
    "team": {
        "name": "Air",
        "members": [
            {"username": "ada@climate-quantum.example", "name": "Ada Lovelace",
             "role": "owner", "dateIn": "2024-01-15"},
        ],
    },
}  # fmt: skip

CONTRACT: dict[str, Any] = {
    "apiVersion": "v3.0.2",
    "kind": "DataContract",
    "id": CONTRACT_ID,
    "name": "NYC air quality measures",
    "version": "1.0.0",
    "status": "active",
    "domain": "air-quality",
    "description": {"purpose": "Air quality measures by neighbourhood."},
    "servers": [
        {"server": "local", "type": "local", "path": "${DATA_DIR}/air_quality.parquet",
         "format": "parquet"},
    ],
    "schema": [
        {
            "name": TABLE,
            "description": "One measure of one pollutant at one place and time.",
            "quality": [{"rule": "rowCount", "mustBeGreaterThan": 0}],
            "properties": [
                {"name": "unique_id", "logicalType": "integer", "primaryKey": True,
                 "primaryKeyPosition": 1, "required": True, "unique": True,
                 "description": "Identifier of the measure.",
                 "quality": [{"rule": "rangeCheck", "mustBeGreaterOrEqualTo": 100000}]},
                {"name": "name", "logicalType": "string", "description": "Pollutant measured."},
                {"name": "data_value", "logicalType": "number", "description": "Measured value.",
                 "quality": [{"rule": "rangeCheck", "dimension": "conformity",
                              "severity": "error", "mustBeBetween": [0, 500]}]},
                {"name": "borough", "logicalType": "string", "description": "Borough, if any.",
                 "quality": [{"rule": "nullCheck", "mustBeLessThan": 50, "unit": "percent"}]},
                {"name": "observed_at", "logicalType": "date", "physicalType": "timestamp",
                 "required": True,
                 "description": "When the measure was taken."},
            ],
        }
    ],
    "team": [{"username": "ada", "role": "owner", "dateIn": "2024-01-01"}],
    "roles": [{"role": "analyst", "access": "read"}],
    "slaProperties": [
        {"property": "latency", "value": 2, "unit": "d"},
        {"property": "retention", "value": 100, "unit": "y"},
    ],
}  # fmt: skip


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` to a Parquet file with the contract's column types."""
    schema = pa.schema(
        [
            ("unique_id", pa.int64()),
            ("name", pa.string()),
            ("data_value", pa.float64()),
            ("borough", pa.string()),
            ("observed_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def build_product(
    root: Path,
    *,
    rows: list[dict[str, Any]] | None = None,
    descriptor: dict[str, Any] | None = None,
    contract: dict[str, Any] | None = None,
    env_file: bool = True,
) -> Path:
    """Write a product folder under ``root`` and its data under ``root/data``; return it."""
    folder = root / "product"
    (folder / "contracts").mkdir(parents=True)
    data = root / "data"
    write_parquet(data / "air_quality.parquet", ROWS if rows is None else rows)
    (folder / "product.yaml").write_text(yaml.safe_dump(descriptor or DESCRIPTOR, sort_keys=False))
    text = yaml.safe_dump(contract or CONTRACT, sort_keys=False, allow_unicode=True)
    (folder / "contracts" / "air_quality.yaml").write_text(text)
    if env_file:
        (folder / "product.env").write_text(f"# where the data is\nDATA_DIR={data}\n")
    return folder


def variant(document: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a document to change in one test."""
    return copy.deepcopy(document)
