"""Impact: every product downstream of a product, table, column or source, with its path.

When something fails, its own people are not the only ones to tell: everyone whose data
is computed from it, however far down, is affected. The walk follows declared and observed
flow edges downstream (callers who only read are consumers, not products, and stop it),
each node once, so a cycle ends; the path of each product is the shortest one from the
start, as node ids.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from gateway.lineage.graph import Graph
from gateway.lineage.model import EdgeKind, Node, NodeKind


@dataclass(frozen=True)
class Impacted:
    product: str  # the product's id
    path: tuple[str, ...]  # node ids from the start to the product, both included


@dataclass(frozen=True)
class ImpactSet:
    products: tuple[Impacted, ...]
    truncated: bool = False


def impacted(
    graph: Graph,
    start: str,
    *,
    depth: int,
    max_nodes: int,
    visible: Callable[[Node], bool] = lambda node: True,
) -> ImpactSet:
    """The products downstream of ``start`` within ``depth`` hops (the start itself when it
    is a product), nearest first."""
    if start not in graph.nodes or not visible(graph.nodes[start]):
        return ImpactSet(())
    parent: dict[str, str | None] = {start: None}
    queue = deque([(start, 0)])
    truncated = False
    while queue:
        node, hops = queue.popleft()
        if hops >= depth:
            continue
        for edge in graph.downstream(node):
            found = graph.nodes.get(edge.target)
            if edge.kind is EdgeKind.READ_BY or found is None or not visible(found):
                continue
            if edge.target in parent:
                continue
            if len(parent) >= max_nodes:
                truncated = True
                queue.clear()
                break
            parent[edge.target] = node
            queue.append((edge.target, hops + 1))
    products = [
        Impacted(graph.nodes[n].product or "", _path(parent, n))
        for n in parent
        if graph.nodes[n].kind is NodeKind.PRODUCT
    ]
    return ImpactSet(tuple(products), truncated)


def _path(parent: dict[str, str | None], node: str) -> tuple[str, ...]:
    path = [node]
    step = parent[node]
    while step is not None:
        path.append(step)
        step = parent[step]
    return tuple(reversed(path))
