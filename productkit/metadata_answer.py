"""The shape of ``/discover/metadata``: the product definition with its links.

Kept apart from :mod:`productkit.answers` because this answer carries the product's own
document: the model lists the kit's keys (a summary, links, warnings), and
``descriptor`` is the product document itself, described by the vendored schemas of the
forms it may take (:mod:`productkit.standards`): Bitol ODPS v1.0.0 or v0.9.0 as written
(a folder in meshgate's early form is served converted to v1.0.0).
:func:`metadata_schema` is the one place the OpenAPI document takes this answer's schema
from.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from productkit.answers import RunState, Uri
from productkit.schemagen import schema_of
from productkit.standards import odps_schemas


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


class MetadataWarning(TypedDict):
    """A finding in the product's folder that the standard does not forbid."""

    document: Annotated[str, "the file, relative to the product folder"]
    path: str
    message: str
    expected: str | None
    code: str | None


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
    descriptor: dict[str, Any]  # replaced by the standards' schemas in metadata_schema
    descriptorForm: Annotated[
        Literal["v1.0.0", "v0.9.0", "early"], "the form product.yaml was written in"
    ]
    warnings: list[MetadataWarning]


def metadata_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of ``/discover/metadata``; named parts go to ``defs``."""
    ref = schema_of(Metadata, defs)
    defs["Metadata"]["properties"]["descriptor"] = {
        "description": "The product document: Bitol ODPS as written (an early-form folder "
        "is served converted to ODPS v1.0.0)",
        "anyOf": odps_schemas(defs),
    }
    return ref
