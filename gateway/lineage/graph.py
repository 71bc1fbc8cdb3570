"""A graph under construction: nodes by id and edges indexed both ways, without duplicates.

Plain dictionaries: the walks only ask "what flows into / out of this node", which an
index per direction answers in constant time, whatever the size of the mesh.
"""

from __future__ import annotations

from gateway.lineage.model import Edge, Node


class Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self._out: dict[str, dict[Edge, None]] = {}
        self._in: dict[str, dict[Edge, None]] = {}

    def add_node(self, node: Node) -> None:
        """Keep ``node`` unless a node of that id is already known (the first one wins)."""
        self.nodes.setdefault(node.id, node)

    def add_edge(self, edge: Edge) -> None:
        """Keep ``edge`` once; an edge from a node to itself says nothing and is dropped."""
        if edge.source == edge.target:
            return
        self._out.setdefault(edge.source, {})[edge] = None
        self._in.setdefault(edge.target, {})[edge] = None

    def downstream(self, node: str) -> list[Edge]:
        return list(self._out.get(node, ()))

    def upstream(self, node: str) -> list[Edge]:
        return list(self._in.get(node, ()))
