"""meshgate's early product descriptors (``product.yaml``): a product and its versions.

The early form (``versions[].in/out``) predates Bitol's ODPS v1.0.0, which
``contracts.odps_standard`` validates; ``product_form`` tells them apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts._issues import DocumentInvalid, DocumentIssue, finalize, format_path
from contracts._reader import read_document
from contracts._schemas import DESCRIPTOR_SCHEMA, validator_for
from contracts._validator import schema_issues
from contracts.odps_standard import EARLY_FORM, product_form, standard_name, unknown_version_issue


@dataclass(frozen=True)
class ContractRef:
    """A reference from a product version to one contract version (an in or out port)."""

    contract_id: str
    version: str


@dataclass(frozen=True)
class ProductVersion:
    """One version of a product with the contracts it consumes and publishes."""

    version: str
    inputs: tuple[ContractRef, ...]
    outputs: tuple[ContractRef, ...]


@dataclass(frozen=True)
class ProductDescriptor:
    """A valid product descriptor; ``raw`` is the document as JSON-ready data."""

    raw: dict[str, Any]
    id: str
    name: str
    domain: str
    slug: str
    versions: tuple[ProductVersion, ...]
    description: str | None = None
    owner: dict[str, Any] | None = None
    tags: tuple[str, ...] = field(default=())
    status: str | None = None
    alignment: str | None = None
    license: str | None = None


def default_slug(name: str) -> str:
    """The slug of a product without one: lower-cased, other characters become '-'.

    >>> default_slug("US precipitation (NOAA)")
    'us-precipitation-noaa'
    """
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def load_descriptor(path: str | Path) -> ProductDescriptor:
    """Read and validate the descriptor file at ``path``; raise :class:`DocumentInvalid`."""
    path = Path(path)
    return parse_descriptor(path.read_bytes(), source=str(path))


def parse_descriptor(
    data: str | bytes | Mapping[str, Any], source: str = "<string>"
) -> ProductDescriptor:
    """Validate a descriptor given as YAML/JSON text or an already parsed mapping."""
    raw = read_document(data, source)
    form = product_form(raw)
    if form != EARLY_FORM:
        raise DocumentInvalid([_not_early(raw, form, source)])
    issues = descriptor_issues(raw, source)
    if issues:
        raise DocumentInvalid(issues)
    versions = tuple(
        ProductVersion(
            version=v["version"],
            inputs=tuple(_refs(v["in"])),
            outputs=tuple(_refs(v["out"])),
        )
        for v in raw["versions"]
    )
    return ProductDescriptor(
        raw=raw,
        id=raw["id"],
        name=raw["name"],
        domain=raw["domain"],
        slug=raw.get("slug") or default_slug(raw["name"]),
        versions=versions,
        description=raw.get("description"),
        owner=raw.get("owner"),
        tags=tuple(raw.get("tags", ())),
        status=raw.get("status"),
        alignment=raw.get("alignment"),
        license=raw.get("license"),
    )


def descriptor_issues(raw: dict[str, Any], source: str) -> list[DocumentIssue]:
    """All issues of descriptor ``raw``: its JSON Schema, then repeated versions and ports."""
    found = schema_issues(validator_for(DESCRIPTOR_SCHEMA), raw, source)
    found.extend(DocumentIssue(source, format_path(p), m) for p, m in _repeats(raw))
    if not found and not default_slug(raw["name"]) and "slug" not in raw:
        found.append(DocumentIssue(source, "slug", "the name gives no slug", "a slug"))
    return finalize(found)


def _not_early(raw: dict[str, Any], form: str | None, source: str) -> DocumentIssue:
    """Why a product that is not in the early form cannot be loaded as a descriptor."""
    if form is None:
        return unknown_version_issue(raw, source)
    # Until the kit and the registry read standard products, say so rather than list
    # every standard field as unknown to the early form.
    message = f"{standard_name(form)} products are not yet loaded as product descriptors"
    return DocumentIssue(source, "apiVersion", message, "the early form (versions[].in/out)")


def _refs(items: list[dict[str, str]]) -> Iterator[ContractRef]:
    for item in items:
        yield ContractRef(contract_id=item["contractId"], version=item["version"])


def _repeats(raw: dict[str, Any]) -> Iterator[tuple[list[str | int], str]]:
    """A version listed twice, or one contract twice in one port list, is a slip."""
    versions = raw.get("versions")
    if not isinstance(versions, list):
        return
    seen: dict[Any, int] = {}
    for index, version in enumerate(versions):
        if not isinstance(version, dict):
            continue
        number = version.get("version")
        if isinstance(number, str):
            if number in seen:
                yield (["versions", index, "version"], f"version {number!r} is listed twice")
            seen.setdefault(number, index)
        for port in ("in", "out"):
            refs = version.get(port)
            if not isinstance(refs, list):
                continue
            keys: set[tuple[Any, Any]] = set()
            for ref_index, ref in enumerate(refs):
                if not isinstance(ref, dict):
                    continue
                key = (ref.get("contractId"), ref.get("version"))
                if key in keys:
                    yield (
                        ["versions", index, port, ref_index],
                        f"contract {key[0]} {key[1]} is listed twice",
                    )
                keys.add(key)
