"""The ODCS v3 data contract as typed GraphQL fields, plus its raw document."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from resolvers.odps import contract_findings
from schema.document_warning import DocumentWarning
from schema.odcs_common import AuthoritativeDefinition, CustomProperty, as_list, strings, text
from schema.odcs_schema import SchemaObject

# Server fields typed in the graph; every other key of a server is in `properties`.
_SERVER_FIELDS = {
    "id", "server", "type", "description", "environment", "host", "port", "database",
    "schema", "catalog", "path", "format", "location", "roles", "customProperties",
}  # fmt: skip


@strawberry.type(description="Where the data physically is (ODCS `servers`).")
class Server:
    server: str | None
    type: str | None
    description: str | None
    environment: str | None
    host: str | None
    port: str | None = strawberry.field(description="As written: a number or a placeholder.")
    database: str | None
    schema: str | None
    catalog: str | None
    path: str | None
    format: str | None
    location: str | None
    roles: JSON | None
    custom_properties: list[CustomProperty]
    properties: JSON = strawberry.field(description="The server's other, type-specific keys.")

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Server:
        return cls(
            server=text(raw.get("server")),
            type=text(raw.get("type")),
            description=text(raw.get("description")),
            environment=text(raw.get("environment")),
            host=text(raw.get("host")),
            port=text(raw.get("port")),
            database=text(raw.get("database")),
            schema=text(raw.get("schema")),
            catalog=text(raw.get("catalog")),
            path=text(raw.get("path")),
            format=text(raw.get("format")),
            location=text(raw.get("location")),
            roles=raw.get("roles"),
            custom_properties=CustomProperty.many(raw.get("customProperties")),
            properties=cast(JSON, {k: v for k, v in raw.items() if k not in _SERVER_FIELDS}),
        )


@strawberry.type(description="Someone who owned or worked on the contract, and when.")
class TeamMember:
    username: str | None
    name: str | None
    email: str | None
    role: str | None
    description: str | None
    date_in: str | None
    date_out: str | None
    replaced_by_username: str | None
    comment: str | None
    tags: list[str]
    custom_properties: list[CustomProperty]

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> TeamMember:
        return cls(
            username=text(raw.get("username")),
            name=text(raw.get("name")),
            email=text(raw.get("email")),
            role=text(raw.get("role")),
            description=text(raw.get("description")),
            date_in=text(raw.get("dateIn")),
            date_out=text(raw.get("dateOut")),
            replaced_by_username=text(raw.get("replacedByUsername")),
            comment=text(raw.get("comment")),
            tags=strings(raw.get("tags")),
            custom_properties=CustomProperty.many(raw.get("customProperties")),
        )


@strawberry.type(description="The team: v3.0 wrote a list of members, v3.1+ an object.")
class Team:
    name: str | None
    description: str | None
    members: list[TeamMember]

    @classmethod
    def from_raw(cls, raw: Any) -> Team | None:
        if isinstance(raw, Mapping):
            members = as_list(raw.get("members"))
            return cls(
                name=text(raw.get("name")),
                description=text(raw.get("description")),
                members=_members(members),
            )
        if isinstance(raw, list):
            return cls(name=None, description=None, members=_members(as_list(raw)))
        return None


def _members(raw: list[Mapping[str, Any]]) -> list[TeamMember]:
    return [TeamMember.from_raw(m) for m in raw]


@strawberry.type(description="An access role consumers can request.")
class Role:
    role: str | None
    description: str | None
    access: str | None
    first_level_approvers: str | None
    second_level_approvers: str | None
    custom_properties: list[CustomProperty]


@strawberry.type(description="A service-level promise (ODCS `slaProperties`).")
class SlaProperty:
    property: str | None
    value: JSON | None
    value_ext: JSON | None
    unit: str | None
    element: str | None
    driver: str | None
    description: str | None
    schedule: str | None
    scheduler: str | None


@strawberry.type(description="A support channel.")
class SupportChannel:
    channel: str | None
    url: str | None
    description: str | None
    tool: str | None
    scope: str | None
    invitation_url: str | None


@strawberry.type(description="The price of the data.")
class Pricing:
    price_amount: float | None
    price_currency: str | None
    price_unit: str | None


@strawberry.type(description="What the data is for, how to use it, and its limits.")
class ContractDescription:
    purpose: str | None
    usage: str | None
    limitations: str | None
    authoritative_definitions: list[AuthoritativeDefinition]
    custom_properties: list[CustomProperty]


@strawberry.type(description="An ODCS v3 data contract, read live from its product.")
class Contract:
    id: str
    version: str
    api_version: str | None
    kind: str | None
    name: str | None
    status: str | None
    tenant: str | None
    domain: str | None
    data_product: str | None
    description: ContractDescription | None
    tags: list[str]
    contract_created_ts: str | None
    schema: list[SchemaObject]
    servers: list[Server]
    team: Team | None
    roles: list[Role]
    sla_default_element: str | None
    sla_properties: list[SlaProperty]
    support: list[SupportChannel]
    price: Pricing | None
    authoritative_definitions: list[AuthoritativeDefinition]
    custom_properties: list[CustomProperty]
    raw: JSON = strawberry.field(
        description="The document exactly as the product serves it (only ever a valid contract)."
    )
    product_id: str | None = strawberry.field(description="ODPS id of the publishing product.")
    source: str = strawberry.field(description="URL the document was read from.")
    fetched_at: datetime
    stale: bool = strawberry.field(description="True when served from cache, product down.")

    @strawberry.field(
        description="Findings of this contract that do not refuse it (the standard does not "
        "forbid them), computed by the gateway as `meshgate validate` reports them."
    )
    def warnings(self) -> list[DocumentWarning]:
        found = contract_findings(self.raw, self.source, self.fetched_at, self.id, self.version)
        return [DocumentWarning.of(f) for f in found]


def contract_from_raw(
    raw: Mapping[str, Any],
    *,
    product_id: str | None,
    source: str,
    fetched_at: datetime,
    stale: bool,
) -> Contract:
    """The :class:`Contract` of an ODCS document as served by a product gateway."""
    desc = raw.get("description")
    price = raw.get("price")
    return Contract(
        id=str(raw.get("id", "")),
        version=str(raw.get("version", "")),
        api_version=text(raw.get("apiVersion")),
        kind=text(raw.get("kind")),
        name=text(raw.get("name")),
        status=text(raw.get("status")),
        tenant=text(raw.get("tenant")),
        domain=text(raw.get("domain")),
        data_product=text(raw.get("dataProduct")),
        description=_description(desc) if isinstance(desc, Mapping) else None,
        tags=strings(raw.get("tags")),
        contract_created_ts=text(raw.get("contractCreatedTs")),
        schema=[SchemaObject.from_raw(o) for o in as_list(raw.get("schema"))],
        servers=[Server.from_raw(s) for s in as_list(raw.get("servers"))],
        team=Team.from_raw(raw.get("team")),
        roles=[_role(r) for r in as_list(raw.get("roles"))],
        sla_default_element=text(raw.get("slaDefaultElement")),
        sla_properties=[_sla(s) for s in as_list(raw.get("slaProperties"))],
        support=[_support(s) for s in as_list(raw.get("support"))],
        price=_price(price) if isinstance(price, Mapping) else None,
        authoritative_definitions=AuthoritativeDefinition.many(raw.get("authoritativeDefinitions")),
        custom_properties=CustomProperty.many(raw.get("customProperties")),
        raw=cast(JSON, dict(raw)),
        product_id=product_id,
        source=source,
        fetched_at=fetched_at,
        stale=stale,
    )


def _description(raw: Mapping[str, Any]) -> ContractDescription:
    return ContractDescription(
        purpose=text(raw.get("purpose")),
        usage=text(raw.get("usage")),
        limitations=text(raw.get("limitations")),
        authoritative_definitions=AuthoritativeDefinition.many(raw.get("authoritativeDefinitions")),
        custom_properties=CustomProperty.many(raw.get("customProperties")),
    )


def _role(raw: Mapping[str, Any]) -> Role:
    return Role(
        role=text(raw.get("role")),
        description=text(raw.get("description")),
        access=text(raw.get("access")),
        first_level_approvers=text(raw.get("firstLevelApprovers")),
        second_level_approvers=text(raw.get("secondLevelApprovers")),
        custom_properties=CustomProperty.many(raw.get("customProperties")),
    )


def _sla(raw: Mapping[str, Any]) -> SlaProperty:
    return SlaProperty(
        property=text(raw.get("property")),
        value=raw.get("value"),
        value_ext=raw.get("valueExt"),
        unit=text(raw.get("unit")),
        element=text(raw.get("element")),
        driver=text(raw.get("driver")),
        description=text(raw.get("description")),
        schedule=text(raw.get("schedule")),
        scheduler=text(raw.get("scheduler")),
    )


def _support(raw: Mapping[str, Any]) -> SupportChannel:
    return SupportChannel(
        channel=text(raw.get("channel")),
        url=text(raw.get("url")),
        description=text(raw.get("description")),
        tool=text(raw.get("tool")),
        scope=text(raw.get("scope")),
        invitation_url=text(raw.get("invitationUrl")),
    )


def _price(raw: Mapping[str, Any]) -> Pricing:
    amount = raw.get("priceAmount")
    return Pricing(
        price_amount=float(amount) if isinstance(amount, int | float) else None,
        price_currency=text(raw.get("priceCurrency")),
        price_unit=text(raw.get("priceUnit")),
    )
