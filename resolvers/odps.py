"""A product's live ODPS document, parsed once per fetch, and the warnings of its documents.

The graph reads a product's ports, team and support from the ``descriptor`` of its live
``/discover/metadata`` answer. That document is third-party input: it is parsed by
``contracts`` (the schema of its own ``apiVersion``, the early form converted), never
trusted as the product describes it, and no URL in it is ever fetched (support channels,
team links, SBOMs and authoritative definitions are data). Parsing a large document takes
a noticeable time, so it runs off the event loop, once per fetched copy: the result is
kept by (source, fetch time) and shared by every field of every request that reads the
same copy.

The warnings shown on a product are computed here from the documents the gateway parsed,
not taken from what the product says about itself (its answer's ``warnings`` could omit
or invent any): the descriptor's own warnings, the early form's deprecation (also when
the kit serves the converted document and says ``descriptorForm: early``), an output port
whose contract the product does not publish, and the warnings of each contract it
publishes.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from contracts import DocumentInvalid, DocumentIssue, ProductDescriptor, parse_descriptor
from contracts.folder import MISSING_CONTRACT
from contracts.lifecycle import lifecycle_notices
from contracts.odps_early import DEPRECATED_FORM, deprecation_warning
from gateway.errors import GatewayError, InvalidDescriptor
from gateway.registry.versions import BREAKING_CODE
from gateway.upstream import Fetched
from resolvers import documents

if TYPE_CHECKING:
    from gateway.registry import ContractLink, RegisteredProduct
    from resolvers.context import RequestContext

#: What the metadata answer's ``descriptorForm`` says of a product written in the early form.
EARLY_FORM = "early"
#: The ``document`` of a warning about the product's descriptor.
DESCRIPTOR = "descriptor"
#: The ``document`` of a warning about one of its contracts.
CONTRACT = "contract"

T = TypeVar("T")

_Parsed = ProductDescriptor | DocumentInvalid
_PARSED: OrderedDict[tuple[str, float], tuple[_Parsed, int]] = OrderedDict()
#: Parsed copies kept at most, and their total weight (items of their lists): a hostile
#: product's 10,000 ports weigh 10,000, so a few such copies push out the others rather
#: than fill the memory; an ordinary product weighs a few dozen.
_MAX_PARSED = 1024
_MAX_WEIGHT = 50_000
_weight = 0


@dataclass(frozen=True)
class Finding:
    """One warning of one of a product's documents, as the graph shows it."""

    document: str
    path: str
    message: str
    code: str | None = None
    expected: str | None = None
    contract_id: str | None = None
    contract_version: str | None = None


async def live_descriptor(ctx: RequestContext, product: RegisteredProduct) -> ProductDescriptor:
    """The product's ODPS document from its live metadata, parsed (and so validated).

    Raises ``InvalidDescriptor`` when the product now serves no valid descriptor (it was
    valid when registered; a product may change what it serves at any time).
    """
    meta = await documents.metadata(ctx, product)
    key = (meta.source, meta.fetched_at.timestamp())
    kept = _PARSED.get(key)
    parsed = kept[0] if kept is not None else await _parse_once(ctx, key, meta)
    if kept is None:
        _keep(key, parsed)
    if isinstance(parsed, DocumentInvalid):
        first = parsed.issues[0] if parsed.issues else None
        where = f" at {first.path}: {first.message}" if first is not None else ""
        raise InvalidDescriptor(
            f"the product now serves an invalid descriptor{where}", product_id=product.id
        )
    return parsed


async def _parse_once(ctx: RequestContext, key: tuple[str, float], meta: Fetched) -> _Parsed:
    """Parse ``meta``'s descriptor in a thread; fields of one request share one parse."""
    memo = ctx.loaders.memo
    task = memo.get(("descriptor", key))
    if task is None:
        task = asyncio.ensure_future(asyncio.to_thread(_parse, meta.data.get(DESCRIPTOR)))
        memo[("descriptor", key)] = task
    result: _Parsed = await asyncio.shield(task)
    return result


def _keep(key: tuple[str, float], parsed: _Parsed) -> None:
    """Keep a parse for the next reads of the same copy, within count and weight."""
    global _weight
    weight = 1 + _items(parsed)
    if key in _PARSED or weight > _MAX_WEIGHT // 4:
        return  # one copy heavier than a quarter of the budget is parsed per request
    _PARSED[key] = (parsed, weight)
    _weight += weight
    while _PARSED and (len(_PARSED) > _MAX_PARSED or _weight > _MAX_WEIGHT):
        _, (_, dropped) = _PARSED.popitem(last=False)
        _weight -= dropped


def _items(parsed: _Parsed) -> int:
    if isinstance(parsed, DocumentInvalid):
        return len(parsed.issues)
    team = parsed.team.members if parsed.team is not None else ()
    return sum(
        len(items)
        for items in (
            parsed.input_ports,
            parsed.output_ports,
            parsed.management_ports,
            parsed.support,
            parsed.custom_properties,
            parsed.authoritative_definitions,
            team,
        )
    )


def _parse(raw: object) -> _Parsed:
    if not isinstance(raw, dict):
        issue = DocumentIssue(DESCRIPTOR, "$", "the metadata answer holds no descriptor object")
        return DocumentInvalid([issue])
    try:
        return parse_descriptor(raw, source=DESCRIPTOR)
    except DocumentInvalid as exc:
        return exc


def published_link(
    product: RegisteredProduct, contract_id: str | None, version: str
) -> ContractLink | None:
    """Where ``product`` publishes this contract version (checked at registration), if it does."""
    if contract_id is None:
        return None
    return next(
        (c for c in product.contracts if c.id == contract_id and c.version == version), None
    )


async def product_warnings(
    ctx: RequestContext, product: RegisteredProduct, limit: int
) -> tuple[list[Finding], bool]:
    """The first ``limit`` warnings of the product's documents, and whether there are more.

    Contracts are read only while warnings are still wanted (at most ``limit`` of them, so
    a product publishing thousands of contracts costs at most ``limit`` reads); a contract
    that cannot be read now adds nothing (its own field says why).
    """
    descriptor = await live_descriptor(ctx, product)
    meta = await documents.metadata(ctx, product)
    found = await version_findings(ctx, product)
    found += descriptor_findings(descriptor, meta.data.get("descriptorForm"), product)
    links = list(product.contracts)
    more = len(found) > limit or len(links) > limit
    found = found[:limit]
    if len(found) < limit:
        wanted = links[: limit - len(found)]
        more = more or len(wanted) < len(links)
        read = await asyncio.gather(*(_contract_findings(ctx, product, link) for link in wanted))
        for items in read:
            found.extend(items)
    return found[:limit], more or len(found) > limit


def descriptor_findings(
    descriptor: ProductDescriptor, form: object, product: RegisteredProduct
) -> list[Finding]:
    """The descriptor's warnings, its deprecation, and output ports not published."""
    issues: list[DocumentIssue] = list(descriptor.warnings)
    if form == EARLY_FORM and not any(i.code == DEPRECATED_FORM for i in issues):
        issues.insert(0, deprecation_warning(DESCRIPTOR))
    found = [_finding(DESCRIPTOR, i) for i in issues]
    for index, port in enumerate(descriptor.output_ports):
        if (
            port.contract_id is not None
            and published_link(product, port.contract_id, port.version) is None
        ):
            found.append(
                Finding(
                    DESCRIPTOR,
                    f"outputPorts[{index}].contractId",
                    f"the product does not publish contract {port.contract_id} version "
                    f"{port.version} of this port: the port has no contract and no tables",
                    MISSING_CONTRACT,
                    "a published contract with this id and version",
                )
            )
    return found


async def _contract_findings(
    ctx: RequestContext, product: RegisteredProduct, link: ContractLink
) -> list[Finding]:
    try:
        _, doc = await documents.contract_document(
            ctx, link.id, link.version, publisher=product, href=link.href
        )
    except GatewayError:
        return []
    issues = documents.contract_warnings(doc, link.id, link.version)
    found = [_finding(CONTRACT, i, link.id, link.version) for i in issues]
    return found + lifecycle_findings(ctx, doc.data, link.id, link.version)


async def version_findings(ctx: RequestContext, product: RegisteredProduct) -> list[Finding]:
    """The registry's flags: contract versions breaking their predecessor without a major
    bump (computed at registration and refresh, :mod:`gateway.registry.versions`)."""
    flags = await ctx.services.registry.version_flags(product.id)
    return [
        Finding(
            CONTRACT,
            f"version {f.from_version} -> {f.to_version}",
            f.message,
            BREAKING_CODE,
            f"a major version after {f.from_version}, or no {f.required_bump} change",
            f.contract_id,
            f.to_version,
        )
        for f in flags
    ]


def lifecycle_findings(
    ctx: RequestContext, raw: object, contract_id: str, version: str
) -> list[Finding]:
    """The contract's end of support / end of life, passed or within the warning days."""
    if not isinstance(raw, dict):
        return []
    days = ctx.services.settings.contract_lifecycle_warning_days
    return [
        Finding(CONTRACT, n.path, n.message, n.code, None, contract_id, version)
        for n in lifecycle_notices(raw, datetime.now(UTC), days)
    ]


def contract_findings(
    raw: object, source: str, fetched_at: datetime, contract_id: str, version: str
) -> list[Finding]:
    """The warnings of a contract the graph shows (computed once per fetched copy)."""
    doc = Fetched(data=raw, source=source, fetched_at=fetched_at)
    issues = documents.contract_warnings(doc, contract_id, version)
    return [_finding(CONTRACT, i, contract_id, version) for i in issues]


def _finding(
    document: str,
    issue: DocumentIssue,
    contract_id: str | None = None,
    contract_version: str | None = None,
) -> Finding:
    return Finding(
        document,
        issue.path,
        issue.message,
        issue.code,
        issue.expected,
        contract_id,
        contract_version,
    )


#: The code of the note a cut list adds to the answer's ``extensions.warnings``.
LIST_TRUNCATED = "LIST_TRUNCATED"


def cap(ctx: RequestContext, items: Sequence[T], what: str, product_id: str) -> list[T]:
    """``items`` cut at the operator's ``max_page_size``, with a note when cut.

    A product may list any number of support channels, team members or custom properties
    (within the byte cap of its metadata): the graph shows the first ``max_page_size`` and
    says so in ``extensions.warnings``; the whole document stays readable in ``definition``.
    """
    limit: int = ctx.services.settings.max_page_size
    if len(items) > limit:
        ctx.warn(
            f"{what}: the first {limit} of {len(items)} items are shown (the whole "
            "document is the product's `definition`)",
            code=LIST_TRUNCATED,
            product_id=product_id,
        )
    return list(items[:limit])
