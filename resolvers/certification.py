"""Certification as the graph reads and triggers it: the stored verdicts, and an
evaluation on demand for the product's owner or an admin."""

from __future__ import annotations

from typing import Any

from gateway.certification import Certification, CertificationPage
from gateway.registry import RegisteredProduct
from resolvers.access import owner_of


async def latest(info: Any, product: RegisteredProduct) -> Certification | None:
    """The product's latest stored certification (None before its first evaluation)."""
    certifier = info.context.services.certifier
    found: Certification | None = await certifier.latest(product.id)
    return found


async def history(info: Any, product_id: str, first: int, after: str | None) -> CertificationPage:
    """A page of the product's evaluations, newest first."""
    page: CertificationPage = await info.context.services.certifier.history(
        product_id, first=first, after=after
    )
    return page


async def certify_now(info: Any, product_id: str) -> tuple[RegisteredProduct, Certification]:
    """Evaluate the product now; only its domain's owner or an admin may ask (an
    evaluation costs fetches and a stored row, so it is not open to everyone)."""
    product: RegisteredProduct = await info.context.services.registry.require(product_id)
    owner_of(info, product.domain, what="certifyProduct", product_id=product.id)
    done: Certification = await info.context.services.certifier.certify(product)
    return product, done
