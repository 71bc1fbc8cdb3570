"""The published standards' JSON Schemas as OpenAPI components.

Two answers are documents of a standard rather than of the kit: a contract (ODCS, served
as written) and the product's descriptor. Their schemas are the vendored ones in
``contracts/schemas`` (the same files :mod:`contracts` validates with), placed in the
OpenAPI document's ``components/schemas``: each schema's ``$defs`` become components of
their own (``<Prefix>.<Def>``) and its ``#/$defs/...`` references are rewritten to them,
because OpenAPI tools resolve ``#/...`` against the whole document. The root keeps its
``$schema`` (draft 2019-09; OpenAPI 3.1 lets a schema object name its dialect). The
keywords these files use (objects for ``items``, ``$defs``, ``unevaluatedProperties``,
``if``/``then``, ``oneOf``, ``const``) mean the same in 2019-09 and in 2020-12, OpenAPI
3.1's default dialect, so the hoisted definitions keep their meaning.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from contracts._schemas import ODCS_SCHEMAS, ODPS_SCHEMAS, load_schema
from productkit.schemagen import REF_PREFIX


def odcs_name(api_version: str) -> str:
    """The component name of an ODCS version's schema.

    >>> odcs_name("v3.0.2")
    'OdcsContractV3_0_2'
    """
    return "OdcsContract" + api_version.upper().replace(".", "_")


def embed(name: str, schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Put ``schema`` (with its ``$defs``) into ``defs`` as ``name``; a ``$ref`` to it."""
    if name not in defs:
        body = copy.deepcopy(schema)
        local = body.pop("$defs", {})
        body.pop("$id", None)  # an $id would make '#/...' refs inside resolve against it
        for key, sub in local.items():
            defs[f"{name}.{key}"] = _rewrite(sub, name)
        defs[name] = _rewrite(body, name)
    return {"$ref": REF_PREFIX + name}


def _rewrite(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(v, name) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = f"{REF_PREFIX}{name}.{ref.removeprefix('#/$defs/')}"
        return out
    if isinstance(node, list):
        return [_rewrite(v, name) for v in node]
    return node


def contract_schema(api_versions: Iterable[str], defs: dict[str, Any]) -> dict[str, Any]:
    """A contract as served: ODCS, by the schema of each ``apiVersion`` the product serves.

    Every version the product publishes is listed (``anyOf``: a contract valid under one
    version's schema may be valid under another's too); a version with no vendored schema
    falls back to an object with ODCS's required fields.
    """
    refs = []
    for version in sorted(set(api_versions)):
        file = ODCS_SCHEMAS.get(version)
        if file is not None:
            refs.append(embed(odcs_name(version), load_schema(file), defs))
    if not refs:
        return {
            "type": "object",
            "description": "An ODCS v3 data contract (no vendored schema for its apiVersion).",
            "required": ["apiVersion", "kind", "id", "version", "status"],
        }
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


def odps_name(api_version: str) -> str:
    """The component name of a Bitol ODPS version's schema.

    >>> odps_name("v1.0.0")
    'OdpsProductV1_0_0'
    """
    return "OdpsProduct" + api_version.upper().replace(".", "_")


def odps_schemas(defs: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``$ref`` to each vendored Bitol ODPS version's schema, newest first."""
    return [
        embed(odps_name(version), load_schema(file), defs)
        for version, file in reversed(ODPS_SCHEMAS.items())
    ]
