"""A data product: its registry summary plus fields read live from its gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.registry import RegisteredProduct
from resolvers import certification, documents, odps
from resolvers.access import signed_in
from schema.audit import AUDIT_DESCRIPTION, AuditConnection, product_audit
from schema.certification import Certification
from schema.document_warning import DocumentWarning
from schema.feedback import ProductFeedback
from schema.health import ProductHealth, product_health
from schema.odcs_common import AuthoritativeDefinition, CustomProperty, as_list, strings, text
from schema.odcs_contract import Contract, SupportChannel, Team, contract_from_raw
from schema.odps_product import (
    ProductDescription,
    ProductInputPortConnection,
    ProductOutputPortConnection,
    Shown,
    page,
)
from schema.pages import page_size
from schema.results import RESULTS_HELP, ObservabilityResultConnection, results_page
from schema.usage import ProductUsage, product_usage

if TYPE_CHECKING:
    from contracts import ProductDescriptor
    from gateway.upstream import Fetched

T = TypeVar("T")


@strawberry.type(description="The data product owner: the contact for questions.")
class Owner:
    name: str | None
    email: str | None


@strawberry.type(description="Links to the product gateway's endpoints.")
class ProductLinks:
    discovery: str
    openapi: str | None
    artifacts: str | None
    health: str | None
    metrics: str | None
    results: str | None
    certification: str | None
    report: str | None


@strawberry.type(description="An input or output port: a contract at a version.")
class Port:
    contract_id: str
    version: str
    href: strawberry.Private[str | None]
    publisher: strawberry.Private[RegisteredProduct | None]

    @strawberry.field(description="The contract, fetched from the product that publishes it.")
    async def contract(self, info: Info) -> Contract | None:
        pid, doc = await documents.contract_document(
            info.context,
            self.contract_id,
            self.version,
            publisher=self.publisher,
            href=self.href,
        )
        return contract_from_raw(
            doc.data, product_id=pid, source=doc.source, fetched_at=doc.fetched_at, stale=doc.stale
        )

    @strawberry.field(description="The product that publishes this contract, if registered.")
    async def product(self, info: Info) -> Product | None:
        if self.publisher is not None:
            return Product.of(self.publisher)
        hit = await documents.find_contract(info.context, self.contract_id, self.version)
        return Product.of(hit[0]) if hit else None


@strawberry.type(description="One version of a product, with its own input and output ports.")
class ProductVersion:
    version: str
    input_ports: list[Port]
    output_ports: list[Port]


@strawberry.type(description="An artifact: a table, a file, a document, a model...")
class Artifact:
    id: str
    name: str | None
    type: str | None
    description: str | None
    tags: list[str]
    roles: list[str]
    license: str | None
    contract_id: str | None
    contract_version: str | None
    links: JSON | None
    source: str
    fetched_at: datetime


@strawberry.type(
    description="A table of this product that one SQL engine will not read: its contract's "
    "server points where the operator does not allow (outside the data roots, a Trino "
    "catalog or database host not on the operator's list). SQL naming it on that engine "
    "fails with TABLE_UNAVAILABLE."
)
class SqlUnavailableTable:
    table: str = strawberry.field(description="`domain.product.table`.")
    version: str = strawberry.field(description="The contract version of the table.")
    engine: str = strawberry.field(description="duckdb or trino.")
    reason: str = strawberry.field(description="Why, without paths or hosts.")


@strawberry.type(description="A data product of the mesh.")
class Product:
    summary: strawberry.Private[RegisteredProduct]
    id: strawberry.ID = strawberry.field(description="The ODPS id.")
    key: str = strawberry.field(description="`domain.slug`, unique in the mesh.")
    name: str
    domain: str
    slug: str
    description: str | None
    owner: str | None = strawberry.field(description="The data product owner's name.")
    contact: Owner | None
    tags: list[str]
    status: str | None
    registered_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: RegisteredProduct) -> Product:
        contact = Owner(name=p.owner_name, email=p.owner_email) if p.owner_name else None
        return cls(
            summary=p,
            id=strawberry.ID(p.id),
            key=p.key,
            name=p.name,
            domain=p.domain,
            slug=p.slug,
            description=p.description,
            owner=p.owner_name,
            contact=contact,
            tags=list(p.tags),
            status=p.status,
            registered_at=p.registered_at,
            updated_at=p.updated_at,
        )

    async def _metadata(self, info: Info) -> Fetched:
        return await documents.metadata(info.context, self.summary)

    @strawberry.field(description="The definition as the product serves it now.")
    async def definition(self, info: Info) -> JSON | None:
        meta = await self._metadata(info)
        return cast(JSON | None, meta.data.get("descriptor"))

    @strawberry.field(description="running, paused or stopped, as the product says.")
    async def state(self, info: Info) -> str | None:
        return text((await self._metadata(info)).data.get("state"))

    @strawberry.field(description="URL of the product's metadata, read live.")
    async def source(self, info: Info) -> str | None:
        return (await self._metadata(info)).source

    @strawberry.field(description="When the product's metadata was read.")
    async def fetched_at(self, info: Info) -> datetime | None:
        return (await self._metadata(info)).fetched_at

    @strawberry.field(description="True when the product is down and a cached copy answers.")
    async def stale(self, info: Info) -> bool | None:
        return (await self._metadata(info)).stale

    @strawberry.field(description="Links to the product gateway's endpoints.")
    async def links(self, info: Info) -> ProductLinks | None:
        raw = (await self._metadata(info)).data.get("links") or {}
        get = raw.get if isinstance(raw, Mapping) else (lambda _k: None)
        return ProductLinks(
            discovery=self.summary.url,
            **{k: text(get(k)) for k in (
                "openapi", "artifacts", "health", "metrics", "results", "certification", "report"
            )},
        )  # fmt: skip

    @strawberry.field(description="Versions side by side, each with its ports.")
    async def versions(self, info: Info) -> list[ProductVersion] | None:
        meta = await self._metadata(info)
        return [_version(v, self.summary) for v in as_list(meta.data.get("versions"))]

    @strawberry.field(description="Contracts this product publishes (its output ports).")
    async def contracts(self, info: Info) -> list[Contract] | None:
        ports = [p for v in await self.versions(info) or [] for p in v.output_ports]
        found = await asyncio.gather(*(p.contract(info) for p in ports))
        return [c for c in found if c is not None]

    # -- the live ODPS document (docs/graph.md "A product's ODPS document") ---------------

    async def _odps(self, info: Info) -> ProductDescriptor:
        return await odps.live_descriptor(info.context, self.summary)

    @strawberry.field(description="The ODPS apiVersion the product is read as (v1.0.0 for "
                      "a product written in the early form, converted).")  # fmt: skip
    async def api_version(self, info: Info) -> str:
        return (await self._odps(info)).api_version

    @strawberry.field(description="The description object: purpose, limitations, usage.")
    async def description_details(self, info: Info) -> ProductDescription | None:
        found = (await self._odps(info)).description
        return Shown(info, self.summary).description(found) if found else None

    @strawberry.field(description="The contracts the product consumes (ODPS inputPorts), "
                      "a page of at most `first` (up to max_page_size) ports.")  # fmt: skip
    async def input_ports(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> ProductInputPortConnection:
        ports = (await self._odps(info)).input_ports
        cut, info_ = page(info, len(ports), first, after)
        shown = Shown(info, self.summary)
        nodes = [shown.input_port(p, f"inputPorts[{i}]") for i, p in _indexed(ports, cut)]
        return ProductInputPortConnection(total_count=len(ports), nodes=nodes, page_info=info_)

    @strawberry.field(description="The contracts the product publishes (ODPS outputPorts), "
                      "a page of at most `first` (up to max_page_size) ports.")  # fmt: skip
    async def output_ports(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> ProductOutputPortConnection:
        ports = (await self._odps(info)).output_ports
        cut, info_ = page(info, len(ports), first, after)
        shown = Shown(info, self.summary)
        nodes = [shown.output_port(p, f"outputPorts[{i}]") for i, p in _indexed(ports, cut)]
        return ProductOutputPortConnection(total_count=len(ports), nodes=nodes, page_info=info_)

    @strawberry.field(description="The team behind the product and its members.")
    async def team(self, info: Info) -> Team | None:
        found = (await self._odps(info)).team
        return Shown(info, self.summary).team(found) if found else None

    @strawberry.field(description="Where consumers get help (links shown, never followed).")
    async def support(self, info: Info) -> list[SupportChannel]:
        return Shown(info, self.summary).support((await self._odps(info)).support)

    @strawberry.field(description="The product's custom properties (any JSON value).")
    async def custom_properties(self, info: Info) -> list[CustomProperty]:
        found = (await self._odps(info)).custom_properties
        return Shown(info, self.summary).props(found, "")

    @strawberry.field(description="Links to the sources that define the product.")
    async def authoritative_definitions(self, info: Info) -> list[AuthoritativeDefinition]:
        found = (await self._odps(info)).authoritative_definitions
        return Shown(info, self.summary).defs(found, "")

    @strawberry.field(
        description="Warnings of the product's documents (the registry's version flags, "
        "e.g. `breaking_change_without_major_bump`, its descriptor, then each contract it "
        "publishes, with `end_of_support_*` / `end_of_life_*` from its SLA), computed by the "
        "gateway from what it read: at most `first` (up to max_page_size); a note in "
        "extensions.warnings says when there are more."
    )
    async def warnings(self, info: Info, first: int = 100) -> list[DocumentWarning]:
        limit = page_size(info, first)
        found, more = await odps.product_warnings(info.context, self.summary, limit)
        if more:
            info.context.warn(
                f"warnings: the first {limit} are shown",
                code=odps.LIST_TRUNCATED,
                product_id=self.summary.id,
            )
        return [DocumentWarning.of(f) for f in found]

    @strawberry.field(description="Tables, files and documents the product offers.")
    async def artifacts(self, info: Info) -> list[Artifact] | None:
        doc = await documents.linked(info.context, self.summary, "artifacts", "/discover/artifacts")
        items = doc.data.get("artifacts") if isinstance(doc.data, Mapping) else None
        return [_artifact(a, doc) for a in as_list(items)]

    @strawberry.field(
        description="Health judged by the gateway against the product's contracts "
        "(docs/health.md), with the product's own answer beside it."
    )
    async def health(self, info: Info) -> ProductHealth | None:
        return await product_health(info, self.summary)

    @strawberry.field(description=RESULTS_HELP)
    async def results(
        self,
        info: Info,
        since: datetime | None = None,
        rule: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ObservabilityResultConnection:
        return await results_page(info, self.summary, since, rule, first, after)

    @strawberry.field(
        description="How the product's tables are read through federated SQL "
        "(since: start of the window; all time when omitted)."
    )
    async def usage(self, info: Info, since: datetime | None = None) -> ProductUsage:
        signed_in(info, "usage")
        return await product_usage(info, self.summary, since)

    @strawberry.field(description=AUDIT_DESCRIPTION)
    async def audit(
        self,
        info: Info,
        since: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> AuditConnection:
        return await product_audit(info, self.summary, since, first, after)

    @strawberry.field(
        description="The mesh's certification of this product (docs/certification.md)."
    )
    async def certification(self, info: Info) -> Certification:
        found = await certification.latest(info, self.summary)
        return Certification.of(self.summary.id, found)

    @strawberry.field(
        description="What consumers say of this product: its rating, the ratings and the "
        "issues reported (docs/feedback.md)."
    )
    def feedback(self) -> ProductFeedback:
        return ProductFeedback(product=self.summary)

    @strawberry.field(
        description="Tables of this product that an SQL engine will not read, and why "
        "(the operator's data roots, Trino catalogs and database hosts decide)."
    )
    async def sql_unavailable(self, info: Info) -> list[SqlUnavailableTable]:
        catalog = await info.context.services.federation.catalog()
        return [
            SqlUnavailableTable(table=u.table, version=u.version, engine=u.engine, reason=u.reason)
            for u in catalog.unavailable
            if u.product_id == self.summary.id
        ]


def _version(raw: Mapping[str, Any], product: RegisteredProduct) -> ProductVersion:
    def ports(items: Any, publisher: RegisteredProduct | None) -> list[Port]:
        return [
            Port(
                contract_id=str(p.get("contractId", "")),
                version=str(p.get("version", "")),
                href=text(p.get("href")) if publisher else None,
                publisher=publisher if p.get("href") else None,
            )
            for p in as_list(items)
        ]

    return ProductVersion(
        version=str(raw.get("version", "")),
        input_ports=ports(raw.get("in"), None),
        output_ports=ports(raw.get("out"), product),
    )


def _indexed(items: Sequence[T], cut: slice) -> list[tuple[int, T]]:
    return list(zip(range(cut.start, cut.stop), items[cut], strict=True))


def _artifact(raw: Mapping[str, Any], doc: Fetched) -> Artifact:
    return Artifact(
        id=str(raw.get("id", "")),
        name=text(raw.get("name")),
        type=text(raw.get("type")),
        description=text(raw.get("description")),
        tags=strings(raw.get("tags")),
        roles=strings(raw.get("roles")),
        license=text(raw.get("license")),
        contract_id=text(raw.get("contractId")),
        contract_version=text(raw.get("contractVersion")),
        links=raw.get("links"),
        source=doc.source,
        fetched_at=doc.fetched_at,
    )
