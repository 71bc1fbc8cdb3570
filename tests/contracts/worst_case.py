"""The worst case for ODCS validation: a real contract grown to ~90 KB of nested objects.

Issue 8 saw an 88 KB contract with deeply nested properties take 68 s under jsonschema:
each level of ``properties`` is checked through ``unevaluatedProperties``, which makes
jsonschema re-evaluate the subschemas of every level below. This builds such a contract
from Bitol's own full example (tests/corpus/bitol), so the bench and the tests measure
the same document.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
BASE = CORPUS / "bitol" / "dev-v3.2.0" / "all--full-example.odcs.yaml"


def _leaf(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "logicalType": "string",
        "physicalType": "varchar(64)",
        "description": f"Field {name}, nested to show the validator's cost.",
        "required": False,
        "tags": ["nested"],
    }


def _nested(name: str, depth: int, width: int) -> dict[str, Any]:
    """An object property ``depth`` levels deep, each level with ``width`` fields."""
    prop: dict[str, Any] = {"name": name, "logicalType": "object", "physicalType": "struct"}
    children = [_leaf(f"{name}_f{i}") for i in range(width)]
    if depth > 1:
        children.append(_nested(f"{name}_n", depth - 1, width))
    prop["properties"] = children
    return prop


def worst_case(depth: int = 12, width: int = 3, target_bytes: int = 90_000) -> dict[str, Any]:
    """Bitol's v3.2.0 full example with nested object columns added until ~``target_bytes``."""
    doc: dict[str, Any] = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    table = doc["schema"][0]
    index = 0
    while len(json.dumps(doc, default=str)) < target_bytes:
        table["properties"].append(_nested(f"deep{index}", depth, width))
        index += 1
    return doc


def worst_case_yaml(**kwargs: Any) -> str:
    """:func:`worst_case` as the YAML text a person would write."""
    return yaml.safe_dump(worst_case(**kwargs), sort_keys=False)
