"""The shape of ``/discover/metadata``: the product definition with its links.

Kept apart from :mod:`productkit.answers` because this answer follows the product
descriptor's standard: the model lists the kit's own keys, and ``descriptor`` is the
document itself, described by its standard's vendored schema (:mod:`productkit.standards`).
:func:`metadata_schema` is the one place the OpenAPI document takes this answer's schema
from; when the answer becomes a Bitol ODPS v1.0.0 product plus links, that function
returns :func:`productkit.standards.odps_product_schema` with the links' schemas.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired, TypedDict

from productkit.answers import RunState, Uri
from productkit.schemagen import schema_of
from productkit.standards import descriptor_schema


class PortRef(TypedDict):
    contractId: str
    version: str


class OutputPort(PortRef):
    href: NotRequired[Annotated[Uri, "where this product serves the contract"]]


#: One product version with its input (``in``) and output (``out``) contracts.
MetadataVersion = TypedDict(
    "MetadataVersion", {"version": str, "in": list[PortRef], "out": list[OutputPort]}
)


class ContractLink(TypedDict):
    id: str
    version: str
    name: str | None
    status: str | None
    href: Uri


class MetadataLinks(TypedDict):
    """Where the product's other interfaces are, from the URL the request came in on."""

    self: Uri
    openapi: Uri
    artifacts: Uri
    health: Uri
    metrics: Uri
    results: Uri
    certification: Uri
    report: Uri


class Metadata(TypedDict):
    """The product definition, with links to its contracts and endpoints."""

    id: str
    name: str
    domain: str
    slug: str
    description: str | None
    owner: dict[str, Any] | None
    tags: list[str]
    status: str | None
    alignment: str | None
    license: str | None
    state: RunState
    versions: list[MetadataVersion]
    contracts: list[ContractLink]
    links: MetadataLinks
    descriptor: dict[str, Any]  # replaced by the standard's schema in metadata_schema


def metadata_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of ``/discover/metadata``; named parts go to ``defs``."""
    ref = schema_of(Metadata, defs)
    defs["Metadata"]["properties"]["descriptor"] = descriptor_schema(defs)
    return ref
