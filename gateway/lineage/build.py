"""Answering one lineage or impact question: gather the facts it needs, then walk.

Product edges come from the registry's summaries (already in the gateway, cheap for the
whole mesh). Column edges need each product's contracts, fetched live, and observed edges
need the usage store: both are gathered only for the products a product-level walk from
the start can reach within the depth asked, so a question about one corner of a large
mesh fetches that corner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.errors import BadRequest
from gateway.lineage.declared import add_contract
from gateway.lineage.graph import Graph
from gateway.lineage.impact import ImpactSet, impacted
from gateway.lineage.layer import product_layer
from gateway.lineage.model import Direction, LineageGraph, NodeKind, kind_of, product_id
from gateway.lineage.observed import add_readers
from gateway.lineage.walk import walk
from gateway.registry import RegisteredProduct
from gateway.usage import Reader


class Facts(Protocol):
    """Where the documents and the usage of products come from (the graph's loaders)."""

    async def contracts(self, product: RegisteredProduct) -> Sequence[Mapping[str, Any]]:
        """The product's contracts as parsed documents; those it cannot fetch left out."""
        ...

    async def readers(self, product: RegisteredProduct) -> Sequence[Reader]:
        """Who read the product (empty when the caller may see no one)."""
        ...


class RegistryOnly:
    """:class:`Facts` of the registry alone: product-to-product edges come from the
    registered summaries, which is all an impact set of products needs; no contract is
    fetched and no usage read (what notifications use for every event)."""

    async def contracts(self, product: RegisteredProduct) -> Sequence[Mapping[str, Any]]:
        return ()

    async def readers(self, product: RegisteredProduct) -> Sequence[Reader]:
        return ()


@dataclass(frozen=True)
class Limits:
    depth: int
    max_nodes: int


def check_depth(depth: int | None, *, default: int, most: int) -> int:
    """The depth to walk: ``default`` when none is given; refuse one outside 1..``most``."""
    if depth is None:
        return min(default, most)
    if not 1 <= depth <= most:
        raise BadRequest(f"depth: expected 1 to {most}, got {depth}", argument="depth")
    return depth


async def lineage(
    products: Sequence[RegisteredProduct],
    facts: Facts,
    start: str,
    direction: Direction,
    limits: Limits,
    visible_reader: Callable[[str, RegisteredProduct], bool],
) -> LineageGraph:
    """The lineage of ``start`` (a node id) in ``direction``."""
    graph = await _gather(products, facts, start, direction, limits, visible_reader)
    return walk(graph, start, direction, depth=limits.depth, max_nodes=limits.max_nodes)


async def impact(
    products: Sequence[RegisteredProduct],
    facts: Facts,
    start: str,
    limits: Limits,
) -> ImpactSet:
    """The products downstream of ``start`` with their paths (observed reads are not
    needed: readers are consumers, not products)."""
    graph = await _gather(products, facts, start, Direction.DOWNSTREAM, limits, None)
    return impacted(graph, start, depth=limits.depth, max_nodes=limits.max_nodes)


async def _gather(
    products: Sequence[RegisteredProduct],
    facts: Facts,
    start: str,
    direction: Direction,
    limits: Limits,
    visible_reader: Callable[[str, RegisteredProduct], bool] | None,
) -> Graph:
    graph = Graph(base=product_layer(products))
    by_id = {p.id: p for p in products}
    keys = {p.key: p.id for p in products}
    if kind_of(start) is NodeKind.CONSUMER:
        return await _consumer(graph, products, facts, start, limits, keys, visible_reader)
    scope = _scope(graph, by_id, keys, start, direction, limits)

    async def one(product: RegisteredProduct) -> tuple[Any, Sequence[Reader]]:
        contracts = facts.contracts(product)
        if visible_reader is None:
            return await contracts, ()
        found, readers = await asyncio.gather(contracts, facts.readers(product))
        return found, readers

    answers = await asyncio.gather(*(one(p) for p in scope))
    for product, (contracts, readers) in zip(scope, answers, strict=True):
        for contract in contracts:
            add_contract(graph, product, contract, keys)
        if visible_reader is not None:
            add_readers(graph, product, readers, visible_reader)
    return graph


async def _consumer(
    graph: Graph,
    products: Sequence[RegisteredProduct],
    facts: Facts,
    start: str,
    limits: Limits,
    keys: Mapping[str, str],
    visible_reader: Callable[[str, RegisteredProduct], bool] | None,
) -> Graph:
    """A caller's lineage is upstream: what they read. Every product's readers are asked
    (one indexed query each), and contracts are fetched only for the products the caller
    read and the asker may see them read."""
    if visible_reader is None:
        return graph
    subject = start.partition(":")[2]
    everyone = await asyncio.gather(*(facts.readers(p) for p in products))
    read = [
        (p, [r for r in readers if r.caller == subject])
        for p, readers in zip(products, everyone, strict=True)
        if visible_reader(subject, p)
    ]
    read = [(p, readers) for p, readers in read if readers][: limits.max_nodes]
    contracts = await asyncio.gather(*(facts.contracts(p) for p, _ in read))
    for (product, readers), documents in zip(read, contracts, strict=True):
        for contract in documents:
            add_contract(graph, product, contract, keys)
        add_readers(graph, product, readers, visible_reader)
    return graph


def _scope(
    graph: Graph,
    by_id: Mapping[str, RegisteredProduct],
    keys: Mapping[str, str],
    start: str,
    direction: Direction,
    limits: Limits,
) -> list[RegisteredProduct]:
    """The products whose contracts and usage the question may need: those a walk over
    product edges reaches from the start's product."""
    kind = kind_of(start)
    if kind in (NodeKind.TABLE, NodeKind.COLUMN):
        owner = keys.get(".".join(start.partition(":")[2].split(".")[:2]).lower())
        origin = product_id(owner) if owner is not None else None
    else:
        origin = start
    if origin is None:
        return []
    reached = walk(graph, origin, direction, depth=limits.depth, max_nodes=limits.max_nodes)
    return [by_id[n.product] for n in reached.nodes if n.product is not None and n.product in by_id]
