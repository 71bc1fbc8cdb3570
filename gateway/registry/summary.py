"""Build a product's registry summary from its ``/discover/metadata`` answer.

The descriptor (already validated by ``contracts``) gives identity, versions and ports.
The answer's ``contracts`` list gives the link to each output contract. Description and
tags are taken from the answer when it has them, because a product gateway may change
them at run time (``POST /control/configure``) without touching its descriptor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from contracts import ProductDescriptor
from contracts.folder import MISSING_CONTRACT
from gateway.errors import InvalidDescriptor
from gateway.registry.model import (
    FOLLOWED_LINKS,
    ContractLink,
    ContractRef,
    RegisteredProduct,
    VersionSummary,
)
from gateway.registry.urls import ProductUrls

_PORT_PATH = re.compile(r"outputPorts\[(\d{1,9})\]\.contractId")


def output_refs(descriptor: ProductDescriptor) -> list[ContractRef]:
    """Every contract the product publishes, over all its versions, once each, in order."""
    seen: dict[ContractRef, None] = {}
    for version in descriptor.versions:
        for port in version.outputs:
            seen.setdefault(ContractRef(port.contract_id, port.version), None)
    return list(seen)


def declared_missing(
    answer: Mapping[str, Any], descriptor: ProductDescriptor
) -> set[tuple[str, str]]:
    """Output ports the product says it serves without their contract (the folder has none).

    Read from the answer's ``warnings`` (code ``output_contract_missing``, path
    ``outputPorts[i].contractId`` of its descriptor): such a port is registered without a
    link and makes no table. A port the answer does not declare so still needs its link.
    """
    found: set[tuple[str, str]] = set()
    entries = answer.get("warnings")
    for entry in entries if isinstance(entries, list) else []:
        if not (isinstance(entry, Mapping) and entry.get("code") == MISSING_CONTRACT):
            continue
        path = entry.get("path")
        match = _PORT_PATH.fullmatch(path) if isinstance(path, str) else None
        index = int(match[1]) if match else len(descriptor.output_ports)
        if index < len(descriptor.output_ports):
            port = descriptor.output_ports[index]
            if port.contract_id is not None:
                found.add((port.contract_id, port.version))
    return found


def contract_links(
    answer: Mapping[str, Any], descriptor: ProductDescriptor, url: str
) -> list[ContractLink]:
    """The link of each output contract, from the answer's ``contracts`` list.

    Relative hrefs are resolved against ``url`` (the metadata URL). Raises
    :class:`InvalidDescriptor` naming the first output contract without an http(s) link,
    unless the answer declares it served without its contract (:func:`declared_missing`).
    """
    missing = declared_missing(answer, descriptor)
    listed: dict[tuple[str, str], Mapping[str, Any]] = {}
    entries = answer.get("contracts")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("href"), str):
            listed.setdefault((str(entry.get("id")), str(entry.get("version"))), entry)
    links = []
    for ref in output_refs(descriptor):
        entry = listed.get((ref.id, ref.version))
        if entry is None and (ref.id, ref.version) in missing:
            continue
        href = urljoin(url, entry["href"]) if entry is not None else None
        if href is None or urlsplit(href).scheme not in ("http", "https"):
            raise InvalidDescriptor(
                f"the product's metadata gives no http(s) link for output contract {ref.id} "
                f"version {ref.version} (expected an entry of its 'contracts' list with "
                "this id, version and an href)",
                product_id=descriptor.id,
            )
        name = entry.get("name") if entry is not None else None
        links.append(ContractLink(ref.id, ref.version, name if isinstance(name, str) else "", href))
    return links


def followed_links(answer: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The answer's links the gateway follows (:data:`FOLLOWED_LINKS`), by name, as given:
    each is resolved and checked under the base URL when followed, never here.

    >>> followed_links({"links": {"health": "/observe/health", "self": "x", "results": 3}})
    (('health', '/observe/health'),)
    """
    links = answer.get("links")
    if not isinstance(links, Mapping):
        return ()
    found = ((name, links.get(name)) for name in FOLLOWED_LINKS)
    return tuple((name, url) for name, url in found if isinstance(url, str) and url)


def summarise(
    answer: Mapping[str, Any],
    descriptor: ProductDescriptor,
    urls: ProductUrls,
    links: list[ContractLink],
    now: datetime,
) -> RegisteredProduct:
    """The :class:`RegisteredProduct` for a validated answer, stamped ``now`` (aware UTC)."""
    owner = descriptor.owner or {}
    description = answer.get("description")
    if not isinstance(description, str):
        description = descriptor.purpose or ""
    tags = answer.get("tags")
    if not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)):
        tags = list(descriptor.tags)
    return RegisteredProduct(
        id=descriptor.id,
        # Keys compare case-insensitively everywhere: stored lower-case, so "Flood.x" and
        # "flood.x" are one key with one holder (never two tables or views of one name).
        slug=descriptor.slug.lower(),
        domain=descriptor.domain.lower(),
        name=descriptor.name,
        description=description,
        owner_name=_text(owner.get("name")),
        owner_email=_text(owner.get("email")),
        tags=tuple(tags),
        status=descriptor.status,
        url=urls.metadata,
        base_url=urls.base,
        versions=tuple(
            VersionSummary(
                version=v.version,
                inputs=tuple(ContractRef(p.contract_id, p.version) for p in v.inputs),
                outputs=tuple(ContractRef(p.contract_id, p.version) for p in v.outputs),
            )
            for v in descriptor.versions
        ),
        contracts=tuple(links),
        registered_at=now,
        updated_at=now,
        links=followed_links(answer),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
