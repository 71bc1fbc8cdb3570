"""The walks on hand-built graphs: cycles end, depth and size are bounded, BOTH is two
walks, hidden nodes are neither shown nor walked through, impact paths are shortest."""

from __future__ import annotations

import pytest

from gateway.lineage.graph import Graph
from gateway.lineage.impact import impacted
from gateway.lineage.model import Direction, Edge, EdgeKind, Node, NodeKind, Origin
from gateway.lineage.walk import walk


def chain(*names: str, cycle: bool = False) -> Graph:
    """Products ``names[0]`` -> ``names[1]`` -> ...; the last back to the first if ``cycle``."""
    graph = Graph()
    for n in names:
        graph.add_node(Node(n, NodeKind.PRODUCT, n, n))
    pairs = list(zip(names, names[1:], strict=False))
    if cycle:
        pairs.append((names[-1], names[0]))
    for a, b in pairs:
        graph.add_edge(Edge(a, b, EdgeKind.INPUT, Origin.DECLARED))
    return graph


def ids(graph: Graph, start: str, direction: Direction, depth: int = 10, **kw: object) -> list[str]:
    return [n.id for n in walk(graph, start, direction, depth=depth, max_nodes=100, **kw).nodes]  # type: ignore[arg-type]


def test_a_cycle_is_walked_once() -> None:
    graph = chain("a", "b", "c", cycle=True)
    found = walk(graph, "a", Direction.BOTH, depth=1000, max_nodes=100)
    assert sorted(n.id for n in found.nodes) == ["a", "b", "c"]  # each once
    assert len(found.edges) == 3


@pytest.mark.parametrize(("depth", "expected"), [(1, ["a", "b"]), (2, ["a", "b", "c"])])
def test_depth_counts_hops(depth: int, expected: list[str]) -> None:
    assert ids(chain("a", "b", "c", "d"), "a", Direction.DOWNSTREAM, depth) == expected


def test_upstream_and_downstream_and_both() -> None:
    graph = chain("a", "b", "c")
    assert ids(graph, "b", Direction.UPSTREAM) == ["b", "a"]
    assert ids(graph, "b", Direction.DOWNSTREAM) == ["b", "c"]
    assert ids(graph, "b", Direction.BOTH) == ["b", "a", "c"]


def test_both_never_turns_around() -> None:
    # a -> b <- c: c is upstream of b, but from a (walking down then up) it is not lineage.
    graph = chain("a", "b")
    graph.add_node(Node("c", NodeKind.PRODUCT, "c", "c"))
    graph.add_edge(Edge("c", "b", EdgeKind.INPUT, Origin.DECLARED))
    assert "c" not in ids(graph, "a", Direction.BOTH)


def test_the_answer_is_cut_at_max_nodes_and_says_so() -> None:
    found = walk(chain(*"abcdef"), "a", Direction.DOWNSTREAM, depth=10, max_nodes=3)
    assert [n.id for n in found.nodes] == ["a", "b", "c"] and found.truncated
    assert all(e.source in "abc" and e.target in "abc" for e in found.edges)


def test_a_hidden_node_is_not_shown_nor_walked_through() -> None:
    found = ids(chain("a", "b", "c"), "a", Direction.DOWNSTREAM, visible=lambda n: n.id != "b")
    assert found == ["a"]
    assert ids(chain("a", "b"), "b", Direction.UPSTREAM, visible=lambda n: n.id != "b") == []


def test_an_unknown_start_finds_nothing() -> None:
    assert ids(chain("a"), "zzz", Direction.BOTH) == []


def test_impact_gives_each_product_its_shortest_path_and_ends_cycles() -> None:
    graph = chain("a", "b", "c", "d", cycle=True)
    graph.add_edge(Edge("a", "d", EdgeKind.INPUT, Origin.DECLARED))
    found = impacted(graph, "a", depth=10, max_nodes=100)
    paths = {i.product: i.path for i in found.products}
    assert paths == {"a": ("a",), "b": ("a", "b"), "c": ("a", "b", "c"), "d": ("a", "d")}


def test_impact_does_not_follow_reads() -> None:
    graph = chain("a", "b")
    graph.add_node(Node("consumer:ana", NodeKind.CONSUMER, "ana"))
    graph.add_edge(Edge("a", "consumer:ana", EdgeKind.READ_BY, Origin.OBSERVED))
    assert [i.product for i in impacted(graph, "a", depth=5, max_nodes=10).products] == ["a", "b"]


def test_an_edge_is_kept_once_and_a_self_edge_not_at_all() -> None:
    graph = chain("a", "b")
    graph.add_edge(Edge("a", "b", EdgeKind.INPUT, Origin.DECLARED))
    graph.add_edge(Edge("a", "a", EdgeKind.INPUT, Origin.DECLARED))
    assert len(graph.downstream("a")) == 1 and graph.upstream("a") == []
