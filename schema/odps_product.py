"""A product's ODPS v1.0.0 parts in the graph: ports, team, support, custom properties.

Read from the product's live descriptor as ``contracts`` parsed it
(:func:`resolvers.odps.live_descriptor`), so a product written in any accepted form
(ODPS v1.0.0, v0.9.0, the early form) shows the same fields. Every URL here (support
channels, SBOMs, authoritative definitions) is data the product wrote: shown, never
followed. Ports are pages (a product may list thousands); the other lists are cut at
``max_page_size`` with a note (:func:`resolvers.odps.cap`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import strawberry
from strawberry.types import Info

from contracts import odps_model as odps
from gateway.registry import RegisteredProduct
from resolvers import documents
from resolvers.odps import cap, published_link
from schema.odcs_common import AuthoritativeDefinition, CustomProperty
from schema.odcs_contract import Contract, SupportChannel, Team, TeamMember, contract_from_raw
from schema.pages import PageInfo, decode_cursor, encode_cursor, page_size

T = TypeVar("T")


@strawberry.type(description="Why the product exists, what it cannot do, how to use it.")
class ProductDescription:
    purpose: str | None
    limitations: str | None
    usage: str | None
    custom_properties: list[CustomProperty]
    authoritative_definitions: list[AuthoritativeDefinition]


@strawberry.type(description="Where an output port's software bill of materials is (a link).")
class Sbom:
    url: str
    type: str | None


@strawberry.type(description="A contract an output port is computed from.")
class InputContract:
    id: str
    version: str


@strawberry.type(description="An ODPS input port: a contract the product consumes.")
class ProductInputPort:
    name: str
    version: str
    contract_id: str
    tags: list[str]
    custom_properties: list[CustomProperty]
    authoritative_definitions: list[AuthoritativeDefinition]

    @strawberry.field(
        description="The contract, when a registered product publishes it (else null)."
    )
    async def contract(self, info: Info) -> Contract | None:
        hit = await documents.find_contract(info.context, self.contract_id, self.version)
        if hit is None:
            return None
        return await _contract(info, hit[0], self.contract_id, self.version, hit[1])


@strawberry.type(description="An ODPS output port: a contract the product publishes.")
class ProductOutputPort:
    name: str
    version: str
    contract_id: str | None
    description: str | None
    type: str | None
    tags: list[str]
    custom_properties: list[CustomProperty]
    authoritative_definitions: list[AuthoritativeDefinition]
    sbom: list[Sbom]
    input_contracts: list[InputContract]
    product: strawberry.Private[RegisteredProduct]

    @strawberry.field(
        description="The contract, when this product publishes it (null when the port names "
        "a contract the product does not serve: see the product's warnings)."
    )
    async def contract(self, info: Info) -> Contract | None:
        link = published_link(self.product, self.contract_id, self.version)
        if link is None:
            return None
        return await _contract(info, self.product, link.id, link.version, link.href)


@strawberry.type(description="A page of a product's input ports, in the descriptor's order.")
class ProductInputPortConnection:
    total_count: int
    nodes: list[ProductInputPort]
    page_info: PageInfo


@strawberry.type(description="A page of a product's output ports, in the descriptor's order.")
class ProductOutputPortConnection:
    total_count: int
    nodes: list[ProductOutputPort]
    page_info: PageInfo


async def _contract(
    info: Info, publisher: RegisteredProduct, contract_id: str, version: str, href: str
) -> Contract:
    pid, doc = await documents.contract_document(
        info.context, contract_id, version, publisher=publisher, href=href
    )
    return contract_from_raw(
        doc.data, product_id=pid, source=doc.source, fetched_at=doc.fetched_at, stale=doc.stale
    )


class Shown:
    """Converts the parsed model to graph types, cutting each list at the page size."""

    def __init__(self, info: Info, product: RegisteredProduct) -> None:
        self.ctx = info.context
        self.product = product

    def cut(self, items: Sequence[T], what: str) -> list[T]:
        return cap(self.ctx, items, what, self.product.id)

    def props(self, items: Sequence[odps.CustomProperty], what: str) -> list[CustomProperty]:
        return [
            CustomProperty(property=p.property, value=p.value, description=p.description)
            for p in self.cut(items, f"{what}.customProperties".lstrip("."))
        ]

    def defs(
        self, items: Sequence[odps.AuthoritativeDefinition], what: str
    ) -> list[AuthoritativeDefinition]:
        return [
            AuthoritativeDefinition(url=d.url, type=d.type, description=d.description)
            for d in self.cut(items, f"{what}.authoritativeDefinitions".lstrip("."))
        ]

    def description(self, d: odps.Description) -> ProductDescription:
        return ProductDescription(
            purpose=d.purpose,
            limitations=d.limitations,
            usage=d.usage,
            custom_properties=self.props(d.custom_properties, "description"),
            authoritative_definitions=self.defs(d.authoritative_definitions, "description"),
        )

    def input_port(self, p: odps.InputPort, where: str) -> ProductInputPort:
        return ProductInputPort(
            name=p.name,
            version=p.version,
            contract_id=p.contract_id,
            tags=self.cut(p.extras.tags, where + ".tags"),
            custom_properties=self.props(p.extras.custom_properties, where),
            authoritative_definitions=self.defs(p.extras.authoritative_definitions, where),
        )

    def output_port(self, p: odps.OutputPort, where: str) -> ProductOutputPort:
        return ProductOutputPort(
            name=p.name,
            version=p.version,
            contract_id=p.contract_id,
            description=p.description,
            type=p.type,
            tags=self.cut(p.extras.tags, where + ".tags"),
            custom_properties=self.props(p.extras.custom_properties, where),
            authoritative_definitions=self.defs(p.extras.authoritative_definitions, where),
            sbom=[Sbom(url=s.url, type=s.type) for s in self.cut(p.sbom, where + ".sbom")],
            input_contracts=[
                InputContract(id=c.id, version=c.version)
                for c in self.cut(p.input_contracts, where + ".inputContracts")
            ],
            product=self.product,
        )

    def team(self, t: odps.Team) -> Team:
        return Team(
            name=t.name,
            description=t.description,
            members=[self.member(m) for m in self.cut(t.members, "team.members")],
        )

    def member(self, m: odps.TeamMember) -> TeamMember:
        return TeamMember(
            username=m.username,
            name=m.name,
            email=None,
            role=m.role,
            description=m.description,
            date_in=m.date_in,
            date_out=m.date_out,
            replaced_by_username=m.replaced_by_username,
            comment=None,
            tags=self.cut(m.extras.tags, "team.members.tags"),
            custom_properties=self.props(m.extras.custom_properties, "team.members"),
        )

    def support(self, items: Sequence[odps.SupportChannel]) -> list[SupportChannel]:
        return [
            SupportChannel(
                channel=s.channel,
                url=s.url,
                description=s.description,
                tool=s.tool,
                scope=s.scope,
                invitation_url=s.invitation_url,
            )
            for s in self.cut(items, "support")
        ]


def page(info: Info, total: int, first: int, after: str | None) -> tuple[slice, PageInfo]:
    """The slice of a list of ``total`` items a page asks for, and its page info."""
    size = page_size(info, first)
    start = decode_cursor(after) + 1 if after else 0
    stop = min(total, start + size)
    return slice(start, stop), PageInfo(
        has_next_page=stop < total,
        has_previous_page=start > 0,
        start_cursor=encode_cursor(start) if stop > start else None,
        end_cursor=encode_cursor(stop - 1) if stop > start else None,
    )
