"""Relay-style pagination of products (page info: :mod:`schema.pages`; cursors: the
listing keys of :mod:`gateway.registry.listing`)."""

from __future__ import annotations

import strawberry

from schema.pages import PageInfo
from schema.product import Product

__all__ = ["PageInfo", "ProductConnection", "ProductEdge"]


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    total_count: int
    edges: list[ProductEdge]
    page_info: PageInfo
