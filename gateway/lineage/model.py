"""The lineage graph's parts: nodes, edges, where each edge comes from, and stable ids.

Edges point the way data flows (from upstream to downstream). Each edge says who asserts
it: ``DECLARED`` edges come from the documents products publish (their ODPS input ports,
their ODCS transform fields), ``OBSERVED`` edges from the queries the gateway answered.
The two are never merged, so a reader can tell a claim from a fact.

Ids are stable and readable, so a client can draw, cache and link them:

>>> product_id("p1"), table_id("flood.flood-areas.areas"), column_id("a.b.t", "c")
('product:p1', 'table:flood.flood-areas.areas', 'column:a.b.t.c')
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class NodeKind(Enum):
    PRODUCT = "product"
    TABLE = "table"
    COLUMN = "column"
    SOURCE = "source"  # outside the mesh: an input no registered product publishes
    CONSUMER = "consumer"  # a signed-in caller who read through federated SQL

    __hash__ = object.__hash__  # members are singletons: hashed by identity, in C


class EdgeKind(Enum):
    INPUT = "input"  # a product consumes another's contract (or a source's)
    PART_OF = "part_of"  # a column belongs to its table, a table to its product
    DERIVES = "derives"  # a column is computed from another column or table
    READ_BY = "read_by"  # a caller read a product, table or column

    __hash__ = object.__hash__  # members are singletons: hashed by identity, in C


class Origin(Enum):
    DECLARED = "declared"
    OBSERVED = "observed"

    __hash__ = object.__hash__  # members are singletons: hashed by identity, in C


class Direction(Enum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: NodeKind
    name: str
    product: str | None = None  # the id of the product it belongs to (itself for a product)


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # node id upstream
    target: str  # node id downstream
    kind: EdgeKind
    origin: Origin
    via: str | None = None  # the contract, the transform logic, the query count...


@dataclass(frozen=True)
class LineageGraph:
    """What one walk found: nodes in the order reached, the edges between them."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    truncated: bool = False


def product_id(pid: str) -> str:
    return f"product:{pid}"


def table_id(logical: str) -> str:
    return f"table:{logical}"


def column_id(table: str, column: str) -> str:
    return f"column:{table}.{column}"


def source_id(name: str) -> str:
    return f"source:{name}"


def consumer_id(subject: str) -> str:
    return f"consumer:{subject}"


def kind_of(node: str) -> NodeKind | None:
    """The kind an id names, from its prefix; None when it names none.

    >>> kind_of("table:a.b.c"), kind_of("nothing")
    (<NodeKind.TABLE: 'table'>, None)
    """
    prefix, sep, rest = node.partition(":")
    if not sep or not rest:
        return None
    return next((k for k in NodeKind if k.value == prefix), None)
