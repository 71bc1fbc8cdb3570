"""A graph under construction: nodes by id and edges indexed both ways, without duplicates.

Plain dictionaries: the walks only ask "what flows into / out of this node", which an
index per direction answers in constant time, whatever the size of the mesh.

A graph may lie over a ``base`` graph that it reads and never changes: the product layer
of the whole mesh is built once per state of the registry and shared by every question
(:mod:`gateway.lineage.layer`), each question adding its own tables, columns and readers
on top.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import cast

from gateway.lineage.model import Edge, Node


class Graph:
    def __init__(self, base: Graph | None = None) -> None:
        self._base = base
        self._nodes: dict[str, Node] = {}
        self.nodes: Mapping[str, Node] = (
            ChainMap(self._nodes, cast(dict[str, Node], base.nodes))
            if base is not None
            else self._nodes
        )
        self._out: dict[str, dict[Edge, None]] = {}
        self._in: dict[str, dict[Edge, None]] = {}

    def add_node(self, node: Node) -> None:
        """Keep ``node`` unless a node of that id is already known (the first one wins)."""
        if node.id not in self.nodes:
            self._nodes[node.id] = node

    def add_edge(self, edge: Edge) -> None:
        """Keep ``edge`` once; an edge from a node to itself says nothing and is dropped."""
        if edge.source == edge.target or (self._base is not None and self._base.has(edge)):
            return
        self._out.setdefault(edge.source, {})[edge] = None
        self._in.setdefault(edge.target, {})[edge] = None

    def has(self, edge: Edge) -> bool:
        """Whether ``edge`` is known (here or in the base)."""
        if edge in self._out.get(edge.source, ()):
            return True
        return self._base is not None and self._base.has(edge)

    def downstream(self, node: str) -> list[Edge]:
        found = list(self._out.get(node, ()))
        return self._base.downstream(node) + found if self._base is not None else found

    def upstream(self, node: str) -> list[Edge]:
        found = list(self._in.get(node, ()))
        return self._base.upstream(node) + found if self._base is not None else found
