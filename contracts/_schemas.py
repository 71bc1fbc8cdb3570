"""The JSON Schemas shipped in ``contracts/schemas`` and the validators built from them.

ODCS minor and patch versions differ in ways real contracts rely on (v3.0.0 statuses are
``production/test/development``, v3.0.1 made them ``proposed ... retired``; v3.1.0 added
``relationships`` and closed most objects to unknown keys; v3.2.0 added ``enum``,
``synonyms``, ``context`` ...), so a contract is checked against the schema of its own
``apiVersion``. Bitol ODPS products likewise (v0.9.0 and v1.0.0 differ: v1.0.0 added
``customProperties``, ``authoritativeDefinitions`` and ``tags`` at the top level and
changed ``team``). See ``contracts/schemas/NOTICE`` for where each file comes from.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema.protocols import Validator

from contracts._validator import make_validator

#: ODCS ``apiVersion`` values we can validate, oldest first, with their schema file.
ODCS_SCHEMAS: dict[str, str] = {
    "v3.0.0": "odcs/odcs-json-schema-v3.0.0.json",
    "v3.0.1": "odcs/odcs-json-schema-v3.0.1.json",
    "v3.0.2": "odcs/odcs-json-schema-v3.0.2.json",
    "v3.1.0": "odcs/odcs-json-schema-v3.1.0.json",
    "v3.2.0": "odcs/odcs-json-schema-v3.2.0.json",
}

#: Bitol ODPS ``apiVersion`` values we can validate, oldest first, with their schema file.
ODPS_SCHEMAS: dict[str, str] = {
    "v0.9.0": "odps/odps-json-schema-v0.9.0.json",
    "v1.0.0": "odps/odps-json-schema-v1.0.0.json",
}

#: meshgate's own early product descriptor (``versions[].in/out``), not a Bitol schema.
DESCRIPTOR_SCHEMA = "odps-descriptor.json"
RESULT_SCHEMA = "observability-result.json"


def load_schema(name: str) -> dict[str, Any]:
    """Read one schema file from ``contracts/schemas``."""
    text = resources.files("contracts").joinpath("schemas", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def validator_for(name: str) -> Validator:
    """The (cached) validator of schema file ``name``."""
    return make_validator(load_schema(name))


def odcs_validator(api_version: str) -> Validator | None:
    """The validator for ODCS ``api_version``, or None if that version is not supported."""
    name = ODCS_SCHEMAS.get(api_version)
    return validator_for(name) if name else None


def odps_validator(api_version: str) -> Validator | None:
    """The validator for Bitol ODPS ``api_version``, or None if that version is unknown."""
    name = ODPS_SCHEMAS.get(api_version)
    return validator_for(name) if name else None
