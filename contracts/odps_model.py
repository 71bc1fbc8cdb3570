"""The typed parts of an ODPS v1.0.0 product: ports, team, support, custom properties.

Small frozen dataclasses, one per object of Bitol's ODPS v1.0.0 schema
(``contracts/schemas/odps/odps-json-schema-v1.0.0.json``), so the kit, the registry and
the graph read a product through names rather than through ``raw["outputPorts"][0]...``.
Each ``from_raw`` reads a mapping that the schema has already accepted; it never
validates (the schema did) and never fetches anything: every URL here is data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _tags(raw: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(t for t in raw.get("tags") or () if isinstance(t, str))


def _list(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = raw.get(key)
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


@dataclass(frozen=True)
class CustomProperty:
    """A key/value pair the standard has no field for (``value`` is any JSON value)."""

    property: str
    value: Any
    description: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> CustomProperty:
        return cls(str(raw["property"]), raw.get("value"), _text(raw, "description"))


@dataclass(frozen=True)
class AuthoritativeDefinition:
    """A link to a source that defines something (a business definition, a tutorial...)."""

    type: str
    url: str
    description: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> AuthoritativeDefinition:
        return cls(str(raw["type"]), str(raw["url"]), _text(raw, "description"))


def custom_properties(raw: Mapping[str, Any]) -> tuple[CustomProperty, ...]:
    """The ``customProperties`` of an object of the standard."""
    return tuple(CustomProperty.from_raw(p) for p in _list(raw, "customProperties"))


def authoritative_definitions(raw: Mapping[str, Any]) -> tuple[AuthoritativeDefinition, ...]:
    """The ``authoritativeDefinitions`` of an object of the standard."""
    return tuple(
        AuthoritativeDefinition.from_raw(d) for d in _list(raw, "authoritativeDefinitions")
    )


@dataclass(frozen=True)
class Extras:
    """What most objects of the standard may carry besides their own fields."""

    tags: tuple[str, ...] = ()
    custom_properties: tuple[CustomProperty, ...] = ()
    authoritative_definitions: tuple[AuthoritativeDefinition, ...] = ()

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Extras:
        return cls(_tags(raw), custom_properties(raw), authoritative_definitions(raw))


@dataclass(frozen=True)
class Description:
    """The product's description object: why it exists, its limits, how to use it."""

    purpose: str | None = None
    limitations: str | None = None
    usage: str | None = None
    custom_properties: tuple[CustomProperty, ...] = ()
    authoritative_definitions: tuple[AuthoritativeDefinition, ...] = ()

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Description:
        return cls(
            _text(raw, "purpose"),
            _text(raw, "limitations"),
            _text(raw, "usage"),
            custom_properties(raw),
            authoritative_definitions(raw),
        )


@dataclass(frozen=True)
class InputPort:
    """A contract the product consumes (``contractId`` is required by the standard)."""

    name: str
    version: str
    contract_id: str
    extras: Extras = field(default_factory=Extras)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> InputPort:
        return cls(
            str(raw["name"]), str(raw["version"]), str(raw["contractId"]), Extras.from_raw(raw)
        )


@dataclass(frozen=True)
class Sbom:
    """Where the software bill of materials of an output port is (a link, never fetched)."""

    url: str
    type: str | None = None


@dataclass(frozen=True)
class InputContract:
    """A contract an output port is computed from."""

    id: str
    version: str


@dataclass(frozen=True)
class OutputPort:
    """A contract the product publishes; ``contract_id`` is optional in the standard.

    ``name`` and ``version`` together are the port's key.
    """

    name: str
    version: str
    contract_id: str | None = None
    description: str | None = None
    type: str | None = None
    sbom: tuple[Sbom, ...] = ()
    input_contracts: tuple[InputContract, ...] = ()
    extras: Extras = field(default_factory=Extras)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> OutputPort:
        return cls(
            name=str(raw["name"]),
            version=str(raw["version"]),
            contract_id=_text(raw, "contractId"),
            description=_text(raw, "description"),
            type=_text(raw, "type"),
            sbom=tuple(Sbom(str(s["url"]), _text(s, "type")) for s in _list(raw, "sbom")),
            input_contracts=tuple(
                InputContract(str(c["id"]), str(c["version"])) for c in _list(raw, "inputContracts")
            ),
            extras=Extras.from_raw(raw),
        )


@dataclass(frozen=True)
class ManagementPort:
    """An access point for managing the product (discoverability, observability...)."""

    name: str
    content: str
    type: str | None = None
    url: str | None = None
    channel: str | None = None
    description: str | None = None
    extras: Extras = field(default_factory=Extras)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> ManagementPort:
        return cls(
            str(raw["name"]),
            str(raw["content"]),
            _text(raw, "type"),
            _text(raw, "url"),
            _text(raw, "channel"),
            _text(raw, "description"),
            Extras.from_raw(raw),
        )


@dataclass(frozen=True)
class SupportChannel:
    """Where consumers get help or news (a Slack channel, a mailbox, a ticket queue)."""

    channel: str
    url: str
    description: str | None = None
    tool: str | None = None
    scope: str | None = None
    invitation_url: str | None = None
    extras: Extras = field(default_factory=Extras)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> SupportChannel:
        return cls(
            str(raw["channel"]),
            str(raw["url"]),
            _text(raw, "description"),
            _text(raw, "tool"),
            _text(raw, "scope"),
            _text(raw, "invitationUrl"),
            Extras.from_raw(raw),
        )


@dataclass(frozen=True)
class TeamMember:
    """One person of the product's team; ``date_in``/``date_out`` as written (ISO dates)."""

    username: str
    name: str | None = None
    description: str | None = None
    role: str | None = None
    date_in: str | None = None
    date_out: str | None = None
    replaced_by_username: str | None = None
    extras: Extras = field(default_factory=Extras)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> TeamMember:
        # v1.0.0 requires username; v0.9.0 does not (its members may give only a name).
        return cls(
            _text(raw, "username") or _text(raw, "name") or "",
            _text(raw, "name"),
            _text(raw, "description"),
            _text(raw, "role"),
            _text(raw, "dateIn"),
            _text(raw, "dateOut"),
            _text(raw, "replacedByUsername"),
            Extras.from_raw(raw),
        )


@dataclass(frozen=True)
class Team:
    """The team behind the product (v0.9.0's list of members becomes a nameless team)."""

    name: str | None = None
    description: str | None = None
    members: tuple[TeamMember, ...] = ()
    extras: Extras = field(default_factory=Extras)

    @classmethod
    def from_raw(cls, raw: Any) -> Team:
        if isinstance(raw, list):  # ODPS v0.9.0: team is the list of members
            members = [m for m in raw if isinstance(m, Mapping)]
            return cls(members=tuple(TeamMember.from_raw(m) for m in members))
        return cls(
            _text(raw, "name"),
            _text(raw, "description"),
            tuple(TeamMember.from_raw(m) for m in _list(raw, "members")),
            Extras.from_raw(raw),
        )
