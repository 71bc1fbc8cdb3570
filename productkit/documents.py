"""The discover documents: product metadata and artifacts, with links from a base URL.

Links are built from the base URL of the request being answered, so they are right
whichever host name or port (or proxy prefix) a client used to reach the product.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

from contracts import ContractDocument, DocumentIssue, ProductDescriptor
from gateway.values import json_form
from productkit.answers import Artifact
from productkit.tables import Table

LINKS = {
    "self": "/discover/metadata",
    "openapi": "/discover/openapi.json",
    "artifacts": "/discover/artifacts",
    "health": "/observe/health",
    "metrics": "/observe/metrics",
    "results": "/observe/results",
    "certification": "/certify/status",
    "report": "/certify/report",
}


@dataclass(frozen=True)
class Definition:
    """The parts of the product definition that ``configure`` may change at run time."""

    description: str | None
    tags: tuple[str, ...]


def contract_href(base: str, contract_id: str, version: str) -> str:
    """The URL of an output contract on this product gateway."""
    return f"{base}/discover/contracts/{quote(contract_id, safe='')}/{quote(version, safe='')}"


def warning_entries(
    warnings: Sequence[DocumentIssue], folder: Path | None = None
) -> list[dict[str, Any]]:
    """The ``warnings`` of the metadata answer: each finding that did not refuse the folder,
    with its document named relative to the folder (never an absolute path)."""
    entries = []
    for issue in warnings:
        document = Path(issue.file)
        try:
            document = document.resolve().relative_to((folder or Path.cwd()).resolve())
        except ValueError:
            document = Path(document.name)
        entries.append(
            {
                "document": document.as_posix(),
                "path": issue.path,
                "message": issue.message,
                "expected": issue.expected,
                "code": issue.code,
            }
        )
    return entries


def metadata(
    base: str,
    descriptor: ProductDescriptor,
    outputs: Sequence[ContractDocument],
    definition: Definition,
    state: str,
    warnings: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The ``/discover/metadata`` answer: a summary, the links, the product's ODPS v1.0.0
    document (``descriptor``: as written, or converted from the early form) and the
    ``warnings`` of its folder (docs/product-gateway-api.md)."""
    published = {(c.id, c.version) for c in outputs}
    versions = []
    for version in descriptor.versions:
        versions.append(
            {
                "version": version.version,
                "in": [{"contractId": r.contract_id, "version": r.version} for r in version.inputs],
                "out": [
                    {
                        "contractId": r.contract_id,
                        "version": r.version,
                        **(
                            {"href": contract_href(base, r.contract_id, r.version)}
                            if (r.contract_id, r.version) in published
                            else {}
                        ),
                    }
                    for r in version.outputs
                ],
            }
        )
    return {
        "id": descriptor.id,
        "name": descriptor.name,
        "domain": descriptor.domain,
        "slug": descriptor.slug,
        "description": definition.description,
        "owner": descriptor.owner,
        "tags": list(definition.tags),
        "status": descriptor.status,
        "alignment": descriptor.alignment,
        "license": descriptor.license,
        "state": state,
        "versions": versions,
        "contracts": [
            {
                "id": c.id,
                "version": c.version,
                "name": c.name,
                "status": c.status,
                "href": contract_href(base, c.id, c.version),
            }
            for c in outputs
        ],
        "links": {name: base + path for name, path in LINKS.items()},
        "descriptor": descriptor.raw,
        "descriptorForm": descriptor.form,
        "warnings": list(warnings),
    }


def artifact_href(base: str, artifact_id: str) -> str:
    """The metadata URL of one artifact."""
    return f"{base}/discover/artifact/{quote(artifact_id, safe=':')}/metadata"


def artifacts(
    base: str,
    descriptor: ProductDescriptor,
    outputs: Sequence[ContractDocument],
    tables: Sequence[Table],
) -> list[Artifact]:
    """Every artifact: each table, each output contract, and the descriptor."""
    items: list[Artifact] = []
    for table in tables:
        aid = f"table:{table.name}"
        data = f"{base}/consume/{quote(table.name, safe='')}"
        items.append(
            {
                "id": aid,
                "name": table.name,
                "type": "table",
                "description": table.description,
                "tags": list(table.tags),
                "roles": list(table.roles),
                "license": descriptor.license,
                "contractId": table.contract.id,
                "contractVersion": table.contract.version,
                "columns": [c.name for c in table.columns],
                "links": {
                    "metadata": artifact_href(base, aid),
                    "sample": f"{data}?limit=10",
                    "data": data,
                },
            }
        )
    for contract in outputs:
        aid = f"contract:{contract.id}:{contract.version}"
        href = contract_href(base, contract.id, contract.version)
        items.append(
            {
                "id": aid,
                "name": contract.name or contract.id,
                "type": "contract",
                "description": _purpose(contract.raw.get("description")),
                "tags": list(contract.raw.get("tags") or []),
                "roles": [r["role"] for r in contract.raw.get("roles") or [] if "role" in r],
                "license": descriptor.license,
                "contractId": contract.id,
                "contractVersion": contract.version,
                "links": {"metadata": artifact_href(base, aid), "data": href},
            }
        )
    items.append(
        {
            "id": "descriptor",
            "name": "product.yaml",
            "type": "descriptor",
            "description": "The product's ODPS descriptor.",
            "tags": [],
            "roles": [],
            "license": descriptor.license,
            "contractId": None,
            "contractVersion": None,
            "links": {
                "metadata": artifact_href(base, "descriptor"),
                "data": base + LINKS["self"],
            },
        }
    )
    return items


def _purpose(description: Any) -> str | None:
    if isinstance(description, Mapping):
        purpose = description.get("purpose")
        return purpose if isinstance(purpose, str) else None
    return description if isinstance(description, str) else None


def jsonable(value: Any) -> Any:
    """A value read from a store as JSON: times in ISO 8601; decimals and non-finite
    floats as the gateway writes them (:mod:`gateway.values.json_form`, docs/values.md).

    >>> jsonable(Decimal("1.50")), jsonable(date(2024, 1, 2)), jsonable(float("nan"))
    ('1.50', '2024-01-02', 'NaN')
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return json_form.float_value(value)
    if isinstance(value, Decimal):
        return json_form.decimal_text(value)
    if isinstance(value, datetime):
        # Keep the precision and the naivety of stored values; aware ones are shown in UTC.
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)
