"""Walking the graph from one node: breadth first, each node once, bounded.

A visited set makes cycles end (A feeds B feeds A is walked once each way); ``depth``
bounds the hops and ``max_nodes`` the answer, which then says it was truncated. BOTH is
the union of an upstream and a downstream walk, never a walk that turns around (that
would reach the whole connected mesh). ``visible`` hides nodes the caller may not see:
a hidden node is not reported and the walk does not go through it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from gateway.lineage.graph import Graph
from gateway.lineage.model import Direction, Edge, LineageGraph, Node


def walk(
    graph: Graph,
    start: str,
    direction: Direction,
    *,
    depth: int,
    max_nodes: int,
    visible: Callable[[Node], bool] = lambda node: True,
) -> LineageGraph:
    """The nodes within ``depth`` hops of ``start`` in ``direction`` and the edges walked."""
    if start not in graph.nodes or not visible(graph.nodes[start]):
        return LineageGraph((), ())
    ways = (
        [Direction.UPSTREAM, Direction.DOWNSTREAM] if direction is Direction.BOTH else [direction]
    )
    seen: dict[str, None] = {start: None}
    edges: dict[Edge, None] = {}
    truncated = False
    for way in ways:
        truncated |= _one_way(graph, start, way, depth, max_nodes, visible, seen, edges)
    nodes = tuple(graph.nodes[n] for n in seen)
    return LineageGraph(nodes, tuple(edges), truncated)


def _one_way(
    graph: Graph,
    start: str,
    way: Direction,
    depth: int,
    max_nodes: int,
    visible: Callable[[Node], bool],
    seen: dict[str, None],
    edges: dict[Edge, None],
) -> bool:
    reached = {start}  # this direction's own visited set (BOTH walks each way once)
    queue = deque([(start, 0)])
    while queue:
        node, hops = queue.popleft()
        if hops >= depth:
            continue
        step = graph.upstream(node) if way is Direction.UPSTREAM else graph.downstream(node)
        for edge in step:
            other = edge.source if way is Direction.UPSTREAM else edge.target
            found = graph.nodes.get(other)
            if found is None or not visible(found):
                continue
            if other not in seen and len(seen) >= max_nodes:
                return True
            edges[edge] = None
            seen[other] = None
            if other not in reached:
                reached.add(other)
                queue.append((other, hops + 1))
    return False
