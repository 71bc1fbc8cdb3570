"""Declared edges: what products say about where their data comes from.

Which side may assert what. An edge is a claim that data flows from one node into
another; only the product at the *downstream* end may make it. A product says which
contracts it consumes (its input ports) and where its own columns come from (the
transform fields of its own contracts). It cannot say that anyone consumes *it*: an
output port only names what it publishes, and a contract id counts as published by the
product that registered it first (the registry's record, not the product's word), so a
product that copies another's contract into its output ports gains no consumers. The
tables and columns of a contract are named after the product that serves it
(``domain.slug.table``), never after what the contract says its domain is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gateway.lineage.graph import Graph
from gateway.lineage.model import (
    Edge,
    EdgeKind,
    Node,
    NodeKind,
    Origin,
    column_id,
    product_id,
    source_id,
    table_id,
)
from gateway.registry import RegisteredProduct

MAX_SOURCES_PER_COLUMN = 64
"""Transform source objects read per column: a contract listing more is cut there."""
MAX_NAME = 256
"""Longest source object name kept; a longer one is not a name."""
MAX_VIA = 200
"""Characters of a transform's logic kept on its edge."""


def publishers(products: Sequence[RegisteredProduct]) -> dict[tuple[str, str], str]:
    """Who publishes each (contract id, version): the first product to register it.

    >>> from datetime import UTC, datetime
    >>> from gateway.registry import ContractLink
    >>> def p(pid, day):
    ...     at = datetime(2026, 1, day, tzinfo=UTC)
    ...     link = ContractLink("c", "1.0.0", "", "http://h/c")
    ...     return RegisteredProduct(pid, pid, "d", pid, "", None, None, (), None, "", "",
    ...                              (), (link,), at, at)
    >>> publishers([p("copycat", 2), p("original", 1)])
    {('c', '1.0.0'): 'original'}
    """
    found: dict[tuple[str, str], str] = {}
    for product in sorted(products, key=lambda p: (p.registered_at, p.id)):
        for link in product.contracts:
            found.setdefault((link.id, link.version), product.id)
    return found


def add_products(graph: Graph, products: Sequence[RegisteredProduct]) -> None:
    """Every product as a node, and each input port as an edge into its product: from the
    product publishing that contract, or from a source node when none does."""
    published = publishers(products)
    for product in products:
        graph.add_node(product_node(product))
    for product in products:
        for version in product.versions:
            for ref in version.inputs:
                via = f"{ref.id}@{ref.version}"
                upstream = published.get((ref.id, ref.version))
                if upstream is None:
                    node = source_id(ref.id)
                    graph.add_node(Node(node, NodeKind.SOURCE, ref.id))
                else:
                    node = product_id(upstream)
                graph.add_edge(
                    Edge(node, product_id(product.id), EdgeKind.INPUT, Origin.DECLARED, via)
                )


def product_node(product: RegisteredProduct) -> Node:
    return Node(product_id(product.id), NodeKind.PRODUCT, product.name, product.id)


def add_contract(
    graph: Graph, product: RegisteredProduct, contract: Mapping[str, Any], keys: Mapping[str, str]
) -> None:
    """The tables and columns of one of ``product``'s contracts, and the edges its transform
    fields declare into its own columns. ``keys`` maps each product's ``domain.slug`` to
    its id (so a source object naming a registered product's column is that column)."""
    objects = contract.get("schema")
    for obj in objects if isinstance(objects, list) else []:
        if not isinstance(obj, Mapping) or not _is_name(obj.get("name")):
            continue
        logical = f"{product.key}.{obj['name']}"
        table = table_id(logical)
        graph.add_node(Node(table, NodeKind.TABLE, logical, product.id))
        graph.add_edge(Edge(table, product_id(product.id), EdgeKind.PART_OF, Origin.DECLARED))
        properties = obj.get("properties")
        for prop in properties if isinstance(properties, list) else []:
            if isinstance(prop, Mapping) and _is_name(prop.get("name")):
                _add_column(graph, product, logical, prop, keys)


def _add_column(
    graph: Graph,
    product: RegisteredProduct,
    logical: str,
    prop: Mapping[str, Any],
    keys: Mapping[str, str],
) -> None:
    column = column_id(logical, prop["name"])
    graph.add_node(Node(column, NodeKind.COLUMN, f"{logical}.{prop['name']}", product.id))
    graph.add_edge(Edge(column, table_id(logical), EdgeKind.PART_OF, Origin.DECLARED))
    logic = prop.get("transformLogic")
    via = logic[:MAX_VIA] if isinstance(logic, str) and logic else None
    for name in _names(prop.get("transformSourceObjects")):
        source = _source_node(name, keys)
        graph.add_node(source)
        graph.add_edge(Edge(source.id, column, EdgeKind.DERIVES, Origin.DECLARED, via))


def _source_node(name: str, keys: Mapping[str, str]) -> Node:
    """The node a transform source object names: a registered product's column
    (``domain.slug.table.column``) or table (``domain.slug.table``), else a source."""
    parts = name.split(".")
    owner = keys.get(".".join(parts[:2]).lower()) if len(parts) in (3, 4) else None
    if owner is None:
        return Node(source_id(name), NodeKind.SOURCE, name)
    table = ".".join(parts[:3])
    if len(parts) == 3:
        return Node(table_id(table), NodeKind.TABLE, table, owner)
    return Node(column_id(table, parts[3]), NodeKind.COLUMN, name, owner)


def _names(value: Any) -> Iterable[str]:
    items = value if isinstance(value, list) else []
    return [v for v in items[:MAX_SOURCES_PER_COLUMN] if _is_name(v)]


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME
