"""Reading a product's live documents through the request's loaders.

Every URL read here comes from a product (its links, its contract hrefs), so
each is followed only under that product's registered base URL
(:func:`gateway.upstream.require_under_base`); the client itself calls only allowed
addresses.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from contracts import DocumentIssue
from contracts.odcs import contract_schema_issues
from contracts.versions import version_key
from gateway.errors import ContractNotFound, InvalidDescriptor, UpstreamBadResponse
from gateway.upstream import Fetched, require_under_base

if TYPE_CHECKING:
    from gateway.registry import RegisteredProduct
    from resolvers.context import RequestContext


async def fetch(
    ctx: RequestContext, url: str, product: RegisteredProduct, *, what: str = "document"
) -> Fetched:
    """The document at ``url`` of ``product``; a stale copy adds a warning to the response.

    Raises ``UpstreamLinkRefused`` when ``url`` is not under the product's base URL.
    """
    url = urljoin(product.url, url)
    require_under_base(url, product.base_url, what=what, product_id=product.id)
    doc = await ctx.loaders.documents.load((url, product.id))
    if doc.stale and doc.warning:
        ctx.warn(doc.warning, code="STALE_DATA", product_id=product.id)
    return doc


async def metadata(ctx: RequestContext, product: RegisteredProduct) -> Fetched:
    """The product's ``/discover/metadata`` document."""
    doc = await fetch(ctx, product.url, product, what="metadata")
    if not isinstance(doc.data, dict):
        raise UpstreamBadResponse(
            "the product's metadata is not a JSON object", product_id=product.id
        )
    return doc


async def linked(
    ctx: RequestContext, product: RegisteredProduct, link: str, default_path: str
) -> Fetched:
    """A document the product links to as ``links[link]`` (or the standard path).

    The link is the one the registry stored at the product's last registration or
    refresh, so the document is read at once, without the metadata first; only a
    product whose links the registry does not know has its metadata read for them.
    """
    if product.links is None:
        meta = await metadata(ctx, product)
        links = meta.data.get("links") or {}
        url = links.get(link) if isinstance(links, dict) else None
    else:
        url = product.link(link)
    target = url if isinstance(url, str) and url else product.base_url.rstrip("/") + default_path
    return await fetch(ctx, target, product, what=f"{link} document")


async def find_contract(
    ctx: RequestContext, contract_id: str, version: str | None
) -> tuple[RegisteredProduct, str, str] | None:
    """(publisher, href, version) of a registered contract; the newest if no version."""
    found = [
        (product, link.href, link.version)
        for product, link in (await ctx.loaders.snapshot()).published(contract_id)
        if version is None or link.version == version
    ]
    if not found:
        return None
    return max(found, key=lambda f: version_key(f[2]))


async def contract_document(
    ctx: RequestContext,
    contract_id: str,
    version: str | None,
    *,
    publisher: RegisteredProduct | None = None,
    href: str | None = None,
) -> tuple[str | None, Fetched]:
    """(publisher id, document) of a contract, by its link or through the registry."""
    if href is None or publisher is None:
        hit = await find_contract(ctx, contract_id, version)
        if hit is None:
            wanted = f"{contract_id} version {version}" if version else contract_id
            raise ContractNotFound(
                f"no registered product publishes contract {wanted}",
                contract_id=contract_id,
                version=version,
            )
        publisher, href, version = hit
    what = f"contract {contract_id}" + (f" version {version}" if version else "")
    doc = await fetch(ctx, href, publisher, what=what)
    if not _is_contract(doc, contract_id, version):
        # Never hand back an answer that is not the contract asked for: the link could
        # lead to any JSON endpoint of the product's host.
        raise InvalidDescriptor(
            f"the product's link for {what} does not serve that ODCS contract",
            product_id=publisher.id,
            contract_id=contract_id,
        )
    return publisher.id, doc


# Validating a contract costs milliseconds; a fetched document does not change, so its
# verdict is kept (by source and fetch time) for the next requests: the contract's
# warnings when it is the contract asked for, None when it is not.
_VERDICTS: OrderedDict[tuple[str, float, str, str | None], tuple[DocumentIssue, ...] | None] = (
    OrderedDict()
)
_MAX_VERDICTS = 1024


def _verdict(
    doc: Fetched, contract_id: str, version: str | None
) -> tuple[DocumentIssue, ...] | None:
    key = (doc.source, doc.fetched_at.timestamp(), contract_id, version)
    if key not in _VERDICTS:
        _VERDICTS[key] = _contract_warnings(doc.data, contract_id, version)
        if len(_VERDICTS) > _MAX_VERDICTS:
            _VERDICTS.popitem(last=False)
    return _VERDICTS[key]


def _is_contract(doc: Fetched, contract_id: str, version: str | None) -> bool:
    """Whether ``doc`` is a valid ODCS contract with this id (and version, if given)."""
    return _verdict(doc, contract_id, version) is not None


def contract_warnings(
    doc: Fetched, contract_id: str, version: str | None
) -> tuple[DocumentIssue, ...]:
    """The warnings of a contract :func:`contract_document` returned (computed once)."""
    return _verdict(doc, contract_id, version) or ()


def _contract_warnings(
    data: Any, contract_id: str, version: str | None
) -> tuple[DocumentIssue, ...] | None:
    if not isinstance(data, dict) or data.get("kind") != "DataContract":
        return None
    if data.get("id") != contract_id or (version is not None and data.get("version") != version):
        return None
    issues = contract_schema_issues(data, "contract")
    if any(issue.is_error for issue in issues):
        return None
    return tuple(issues)
