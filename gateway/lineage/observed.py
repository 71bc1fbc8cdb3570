"""Observed edges: who read what through federated SQL, from the usage store.

These are facts the gateway saw, not claims: each answered query that read a product's
table (and which columns) gives an edge from that table and column, and from its product,
to the caller who asked. Only signed-in callers are named; who the caller is is shown to
the product's owner, to admins and to that caller alone (``visible``), like the usage
figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gateway.lineage.graph import Graph
from gateway.lineage.model import (
    Edge,
    EdgeKind,
    Node,
    NodeKind,
    Origin,
    column_id,
    consumer_id,
    product_id,
    table_id,
)
from gateway.registry import RegisteredProduct
from gateway.usage import Reader


def add_readers(
    graph: Graph,
    product: RegisteredProduct,
    readers: Iterable[Reader],
    visible: Callable[[str, RegisteredProduct], bool],
) -> None:
    """Edges from ``product``, its tables and columns to each caller who read them, for the
    callers ``visible(caller, product)`` allows; the via of an edge is its query count."""
    for reader in readers:
        if not visible(reader.caller, product):
            continue
        consumer = consumer_id(reader.caller)
        graph.add_node(Node(consumer, NodeKind.CONSUMER, reader.caller))
        via = f"{reader.queries} queries"
        table = table_id(reader.table)
        if reader.column is None:
            graph.add_node(Node(table, NodeKind.TABLE, reader.table, product.id))
            graph.add_edge(Edge(table, consumer, EdgeKind.READ_BY, Origin.OBSERVED, via))
            graph.add_edge(
                Edge(product_id(product.id), consumer, EdgeKind.READ_BY, Origin.OBSERVED,
                     reader.table)
            )  # fmt: skip
            continue
        column = column_id(reader.table, reader.column)
        graph.add_node(Node(column, NodeKind.COLUMN, f"{reader.table}.{reader.column}", product.id))
        graph.add_edge(Edge(column, consumer, EdgeKind.READ_BY, Origin.OBSERVED, via))
