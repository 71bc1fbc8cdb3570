"""Products written to Bitol's Open Data Product Standard (ODPS), and which form a product is.

Two product forms share ``kind: DataProduct``: Bitol's published standard (``inputPorts``,
``outputPorts``, ``team``, ``support`` ...) and meshgate's early descriptor (the form the
book shows, ``versions[].in/out``). A document's ``apiVersion`` picks the form, so a real
ODPS product is judged by Bitol's own schema of its version rather than refused for
fields the early form does not know, and an unknown version is told which versions exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts._issues import DocumentInvalid, DocumentIssue, finalize
from contracts._reader import read_document
from contracts._schemas import ODPS_SCHEMAS, odps_validator
from contracts._validator import schema_issues

#: Bitol ODPS versions whose schema is shipped (``contracts/schemas/odps``), oldest first.
STANDARD_VERSIONS: tuple[str, ...] = tuple(ODPS_SCHEMAS)

#: The ``apiVersion`` of meshgate's early descriptor (``versions[].in/out``).
EARLY_VERSIONS: tuple[str, ...] = ("1.0.0",)

#: The form name :func:`product_form` gives the early descriptor.
EARLY_FORM = "early"

KNOWN_VERSIONS_TEXT = (
    f"one of {', '.join(STANDARD_VERSIONS)} (Bitol ODPS) or "
    f"{', '.join(EARLY_VERSIONS)} (meshgate's early descriptor with versions[].in/out)"
)


@dataclass(frozen=True)
class Port:
    """An input or output port of a standard product; ``contract_id`` names its contract."""

    name: str
    version: str
    contract_id: str | None


@dataclass(frozen=True)
class StandardProduct:
    """A product valid against Bitol's ODPS schema of its ``apiVersion``; ``raw`` as read."""

    raw: dict[str, Any]
    api_version: str
    id: str
    status: str
    name: str | None
    version: str | None
    domain: str | None
    input_ports: tuple[Port, ...]
    output_ports: tuple[Port, ...]


def product_form(raw: Mapping[str, Any]) -> str | None:
    """Which form ``raw`` is written in: a Bitol version, :data:`EARLY_FORM`, or None.

    A document with ``versions`` is the early form whatever its ``apiVersion`` (no Bitol
    version has that field, and early descriptors stay accepted as they were).

    >>> product_form({"apiVersion": "v1.0.0"}), product_form({"apiVersion": "1.0.0"})
    ('v1.0.0', 'early')
    >>> product_form({"apiVersion": "v1.0.0", "versions": []}), product_form({"apiVersion": "v2"})
    ('early', None)
    """
    if "versions" in raw:
        return EARLY_FORM
    api_version = raw.get("apiVersion")
    if not isinstance(api_version, str):
        return None
    if api_version in ODPS_SCHEMAS:
        return api_version
    return EARLY_FORM if api_version in EARLY_VERSIONS else None


def standard_name(form: str) -> str:
    """How a person is told what a product was checked against.

    >>> standard_name("v1.0.0"), standard_name("early")
    ('ODPS v1.0.0 (Bitol schema)', 'meshgate early product descriptor')
    """
    if form == EARLY_FORM:
        return "meshgate early product descriptor"
    return f"ODPS {form} (Bitol schema)"


def unknown_version_issue(raw: Mapping[str, Any], source: str) -> DocumentIssue:
    """The issue of a product whose ``apiVersion`` is missing or names no known version."""
    api_version = raw.get("apiVersion")
    if api_version is None:
        return DocumentIssue(source, "apiVersion", "required field missing", KNOWN_VERSIONS_TEXT)
    message = f"unknown ODPS apiVersion {str(api_version)[:40]!r}"
    return DocumentIssue(source, "apiVersion", message, KNOWN_VERSIONS_TEXT)


def standard_issues(raw: dict[str, Any], source: str) -> list[DocumentIssue]:
    """Every issue of ``raw`` against Bitol's schema of its version (unknown: one issue)."""
    form = product_form(raw)
    validator = odps_validator(form) if form else None
    if validator is None:
        return [unknown_version_issue(raw, source)]
    return finalize(schema_issues(validator, raw, source))


def parse_product(
    data: str | bytes | Mapping[str, Any], source: str = "<string>"
) -> StandardProduct:
    """Validate a Bitol ODPS product (YAML/JSON text or a mapping); raise DocumentInvalid."""
    raw = read_document(data, source)
    issues = standard_issues(raw, source)
    if issues:
        raise DocumentInvalid(issues)
    return StandardProduct(
        raw=raw,
        api_version=raw["apiVersion"],
        id=raw["id"],
        status=raw["status"],
        name=raw.get("name"),
        version=raw.get("version"),
        domain=raw.get("domain"),
        input_ports=tuple(_ports(raw.get("inputPorts", ()))),
        output_ports=tuple(_ports(raw.get("outputPorts", ()))),
    )


def _ports(items: Any) -> list[Port]:
    return [
        Port(name=p["name"], version=p["version"], contract_id=p.get("contractId")) for p in items
    ]
