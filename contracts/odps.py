"""Product descriptors (``product.yaml``): Bitol ODPS v1.0.0 is the native form.

A document's ``kind`` and ``apiVersion`` pick the schema it is judged by
(``contracts.odps_standard``): ODPS v1.0.0 and v0.9.0 against Bitol's own schema of that
version; meshgate's early form (``versions[].in/out``) against its old schema, then
converted on read to ODPS v1.0.0 (``contracts.odps_early``) with a
``deprecated_descriptor_form`` warning. Every form gives the same
:class:`ProductDescriptor`.

What ODPS does not have is derived, as for early products: ``slug`` is the custom
property ``slug`` or else :func:`default_slug` of the name; a product without ``domain``
is filed under :data:`DEFAULT_DOMAIN` and one without ``name`` is named by its ``id``.
A port's ``version`` is read as the version of the contract its ``contractId`` names
(contracts are kept by id and version). ``versions`` is a derived view for the callers
of the early model: the versions recorded by the custom property ``productVersions``
(converted early products), else one version (the product's ``version``, or
:data:`UNVERSIONED`) holding every port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import odps_early as early
from contracts._issues import (
    DocumentInvalid,
    DocumentIssue,
    errors_of,
    finalize,
    format_path,
)
from contracts._reader import read_document
from contracts._schemas import DESCRIPTOR_SCHEMA, validator_for
from contracts._validator import schema_issues
from contracts.odps_limits import list_limit_issues
from contracts.odps_model import (
    AuthoritativeDefinition,
    CustomProperty,
    Description,
    InputPort,
    ManagementPort,
    OutputPort,
    SupportChannel,
    Team,
    authoritative_definitions,
    custom_properties,
)
from contracts.odps_standard import EARLY_FORM, product_form, standard_issues

#: The domain of a product that names none (ODPS makes ``domain`` optional).
DEFAULT_DOMAIN = "products"
#: The version of the ``versions`` view of a product without ``version``.
UNVERSIONED = "unversioned"

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


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
    """A valid product, in ODPS v1.0.0 terms whatever form it was written in.

    ``raw`` is the ODPS document as JSON-ready data: as written for a Bitol product, the
    converted v1.0.0 document for an early one (``form`` says which form was read:
    ``v1.0.0``, ``v0.9.0`` or ``early``). ``warnings`` are the findings that do not refuse
    it (the early form's deprecation, a derived domain...).
    """

    raw: dict[str, Any]
    id: str
    name: str
    domain: str
    slug: str
    versions: tuple[ProductVersion, ...]
    description: Description | None = None
    owner: dict[str, Any] | None = None
    tags: tuple[str, ...] = field(default=())
    status: str | None = None
    alignment: str | None = None
    license: str | None = None
    api_version: str = early.NATIVE_VERSION
    form: str = early.NATIVE_VERSION
    version: str | None = None
    tenant: str | None = None
    input_ports: tuple[InputPort, ...] = ()
    output_ports: tuple[OutputPort, ...] = ()
    management_ports: tuple[ManagementPort, ...] = ()
    team: Team | None = None
    support: tuple[SupportChannel, ...] = ()
    custom_properties: tuple[CustomProperty, ...] = ()
    authoritative_definitions: tuple[AuthoritativeDefinition, ...] = ()
    created_ts: str | None = None
    warnings: tuple[DocumentIssue, ...] = ()

    @property
    def purpose(self) -> str | None:
        """The description's purpose: the one-line text lists and summaries show."""
        return self.description.purpose if self.description else None

    def custom(self, name: str) -> Any:
        """The value of the product's custom property ``name`` (None if absent)."""
        return next((p.value for p in self.custom_properties if p.property == name), None)


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
    """Validate a product (YAML/JSON text or a parsed mapping) in any accepted form.

    Raises :class:`DocumentInvalid` with every error; warnings ride on the result. A list
    longer than ``contracts.odps_limits.MAX_ITEMS`` refuses the document before its schema.
    """
    raw = read_document(data, source)
    oversized = list_limit_issues(raw, source)
    if oversized:
        raise DocumentInvalid(oversized)
    form = product_form(raw)
    if form == EARLY_FORM:
        issues = descriptor_issues(raw, source)
        if errors_of(issues):
            raise DocumentInvalid(issues)
        native = early.to_native(raw)
        found = [early.deprecation_warning(source), *issues]
    else:
        native = raw
        found = standard_issues(raw, source)  # an unknown version: one issue naming the known
        if not found:
            found = _native_issues(native, source)
        if errors_of(found):
            raise DocumentInvalid(found)
    return _descriptor(native, form or "", source, found)


def descriptor_issues(raw: dict[str, Any], source: str) -> list[DocumentIssue]:
    """All issues of early descriptor ``raw``: its JSON Schema, then repeats and slug."""
    found = schema_issues(validator_for(DESCRIPTOR_SCHEMA), raw, source)
    found.extend(DocumentIssue(source, format_path(p), m) for p, m in _repeats(raw))
    if not found and not default_slug(raw["name"]) and "slug" not in raw:
        found.append(DocumentIssue(source, "slug", "the name gives no slug", "a slug"))
    return finalize(found)


def _descriptor(
    doc: dict[str, Any], form: str, source: str, found: Sequence[DocumentIssue]
) -> ProductDescriptor:
    """The model of an ODPS document the schema of its version accepted."""
    inputs = tuple(InputPort.from_raw(p) for p in _items(doc, "inputPorts"))
    outputs = tuple(OutputPort.from_raw(p) for p in _items(doc, "outputPorts"))
    props = custom_properties(doc)
    name = doc.get("name") or doc["id"]
    team = Team.from_raw(doc["team"]) if "team" in doc else None
    return ProductDescriptor(
        raw=doc,
        id=doc["id"],
        name=name,
        domain=doc.get("domain") or DEFAULT_DOMAIN,
        slug=_prop_text(props, early.SLUG) or default_slug(name),
        versions=_versions(doc, inputs, outputs, props),
        description=Description.from_raw(doc["description"]) if "description" in doc else None,
        owner=_owner(team),
        tags=tuple(doc.get("tags") or ()),
        status=doc.get("status"),
        alignment=_prop_text(props, early.ALIGNMENT),
        license=_prop_text(props, early.LICENSE),
        api_version=doc["apiVersion"],
        form=form,
        version=doc.get("version"),
        tenant=doc.get("tenant"),
        input_ports=inputs,
        output_ports=outputs,
        management_ports=tuple(ManagementPort.from_raw(p) for p in _items(doc, "managementPorts")),
        team=team,
        support=tuple(SupportChannel.from_raw(s) for s in _items(doc, "support")),
        custom_properties=props,
        authoritative_definitions=authoritative_definitions(doc),
        created_ts=doc.get("productCreatedTs"),
        warnings=tuple(finalize(i for i in found if not i.is_error)),
    )


def _native_issues(doc: dict[str, Any], source: str) -> list[DocumentIssue]:
    """What Bitol's schema cannot say: repeated port keys and meshgate's custom properties.

    What meshgate derives (a domain, a name) is documented rather than warned about: the
    standard makes those fields optional, so ``meshgate validate`` stays quiet on them."""
    found: list[DocumentIssue] = []
    for key in ("inputPorts", "outputPorts"):
        seen: set[tuple[Any, Any]] = set()
        for index, port in enumerate(_items(doc, key)):
            pair = (port.get("name"), port.get("version"))
            if pair in seen:
                message = f"port {pair[0]} version {pair[1]} is listed twice"
                found.append(DocumentIssue(source, f"{key}[{index}]", message, "name+version once"))
            seen.add(pair)
    for index, prop in enumerate(_items(doc, "customProperties")):
        value, path = prop.get("value"), f"customProperties[{index}].value"
        if prop.get("property") == early.SLUG and not (
            isinstance(value, str) and _SLUG.match(value)
        ):
            found.append(DocumentIssue(source, path, "not a slug", "lower-case words joined by -"))
        if prop.get("property") == early.PRODUCT_VERSIONS and not _strings(value):
            found.append(DocumentIssue(source, path, "not a list of versions", "list of strings"))
    name = doc.get("name") or doc["id"]
    if not _prop_text(custom_properties(doc), early.SLUG) and not default_slug(name):
        found.append(DocumentIssue(source, "name", "the name gives no slug", "a slug"))
    return finalize(found)


def _items(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = doc.get(key)
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _prop_text(props: Sequence[CustomProperty], name: str) -> str | None:
    value = next((p.value for p in props if p.property == name), None)
    return value if isinstance(value, str) else None


def _port_versions(extras_props: Sequence[CustomProperty]) -> list[str] | None:
    value = next((p.value for p in extras_props if p.property == early.PRODUCT_VERSIONS), None)
    if not _strings(value):
        return None
    return [str(v) for v in value or ()]


def _versions(
    doc: Mapping[str, Any],
    inputs: Sequence[InputPort],
    outputs: Sequence[OutputPort],
    props: Sequence[CustomProperty],
) -> tuple[ProductVersion, ...]:
    """The early model's view: recorded versions (converted early products) or one."""
    recorded = next((p.value for p in props if p.property == early.PRODUCT_VERSIONS), None)
    names = list(dict.fromkeys(recorded)) if _strings(recorded) and recorded else None
    if names is None:
        names = [doc.get("version") or UNVERSIONED]
    current = names[-1]

    def refs(ports: Sequence[InputPort | OutputPort], version: str) -> tuple[ContractRef, ...]:
        seen: dict[ContractRef, None] = {}
        for port in ports:
            if port.contract_id is None:
                continue
            carried = _port_versions(port.extras.custom_properties) or [current]
            if version in carried:
                seen.setdefault(ContractRef(port.contract_id, port.version), None)
        return tuple(seen)

    return tuple(ProductVersion(v, refs(inputs, v), refs(outputs, v)) for v in names)


def _owner(team: Team | None) -> dict[str, Any] | None:
    """The owner the early model exposes: the team's current member whose role is owner."""
    for member in team.members if team else ():
        if (member.role or "").lower() == early.OWNER_ROLE and member.date_out is None:
            name = member.name or member.username
            owner: dict[str, Any] = {"name": name}
            if member.username != name and "@" in member.username:
                owner["email"] = member.username
            return owner
    return None


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
