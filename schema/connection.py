"""Relay-style pagination of products (cursors and page info: :mod:`schema.pages`)."""

from __future__ import annotations

import strawberry

from schema.pages import PageInfo, decode_cursor, encode_cursor
from schema.product import Product

__all__ = ["PageInfo", "ProductConnection", "ProductEdge", "decode_cursor", "encode_cursor"]


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    total_count: int
    edges: list[ProductEdge]
    page_info: PageInfo
