"""Reading a product's live documents through the request's loaders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.versions import version_key
from gateway.errors import ContractNotFound, UpstreamBadResponse
from gateway.upstream import Fetched

if TYPE_CHECKING:
    from gateway.registry import RegisteredProduct
    from resolvers.context import RequestContext


async def fetch(ctx: RequestContext, url: str, product_id: str | None) -> Fetched:
    """The document at ``url``; a stale copy adds a warning to the response."""
    doc = await ctx.loaders.documents.load((url, product_id))
    if doc.stale and doc.warning:
        ctx.warn(doc.warning, code="STALE_DATA", product_id=product_id)
    return doc


async def metadata(ctx: RequestContext, product: RegisteredProduct) -> Fetched:
    """The product's ``/discover/metadata`` document."""
    doc = await fetch(ctx, product.url, product.id)
    if not isinstance(doc.data, dict):
        raise UpstreamBadResponse(
            f"{product.url} did not answer a JSON object", product_id=product.id
        )
    return doc


async def linked(
    ctx: RequestContext, product: RegisteredProduct, link: str, default_path: str
) -> Fetched:
    """A document the metadata links to as ``links[link]`` (or the standard path)."""
    meta = await metadata(ctx, product)
    links = meta.data.get("links") or {}
    url = links.get(link) if isinstance(links, dict) else None
    return await fetch(ctx, url or product.base_url.rstrip("/") + default_path, product.id)


async def find_contract(
    ctx: RequestContext, contract_id: str, version: str | None
) -> tuple[RegisteredProduct, str, str] | None:
    """(publisher, href, version) of a registered contract; the newest if no version."""
    found: list[tuple[RegisteredProduct, str, str]] = []
    for product in await ctx.loaders.all_products():
        for link in product.contracts:
            if link.id == contract_id and (version is None or link.version == version):
                found.append((product, link.href, link.version))
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
    return publisher.id, await fetch(ctx, href, publisher.id)
