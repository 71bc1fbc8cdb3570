"""The product layer is shared by questions, never changed by them, and rebuilt when the
registry changes (a refreshed product's new inputs are seen at once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.lineage import Direction, Limits, lineage
from gateway.lineage.graph import Graph
from gateway.lineage.layer import product_layer
from gateway.lineage.model import Edge, EdgeKind, Node, NodeKind, Origin
from gateway.registry import ContractLink, ContractRef, RegisteredProduct, VersionSummary
from gateway.usage import Reader

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def product(pid: str, inputs: Sequence[str], at: datetime = T0) -> RegisteredProduct:
    refs = tuple(ContractRef(f"c-{i}", "1.0.0") for i in inputs)
    return RegisteredProduct(
        pid, pid, "d", pid, "", None, None, (), "active", f"http://h/{pid}/discover/metadata",
        f"http://h/{pid}", (VersionSummary("1.0.0", refs, (ContractRef(f"c-{pid}", "1.0.0"),)),),
        (ContractLink(f"c-{pid}", "1.0.0", "", f"http://h/{pid}/c"),), at, at,
    )  # fmt: skip


class NoDocuments:
    async def contracts(self, product: RegisteredProduct) -> Sequence[Mapping[str, Any]]:
        return []

    async def readers(self, product: RegisteredProduct) -> Sequence[Reader]:
        return []


async def upstream(products: Sequence[RegisteredProduct], of: str) -> list[str]:
    found = await lineage(
        products, NoDocuments(), f"product:{of}", Direction.UPSTREAM, Limits(10, 1000),
        lambda c, p: True,
    )  # fmt: skip
    return sorted(n.id for n in found.nodes)


def test_the_same_registry_shares_one_layer_and_a_change_builds_another() -> None:
    mesh = [product("a", []), product("b", ["a"])]
    assert product_layer(mesh) is product_layer(list(mesh))
    refreshed = [mesh[0], dataclasses.replace(mesh[1], updated_at=T0 + timedelta(seconds=1))]
    assert product_layer(refreshed) is not product_layer(mesh)


async def test_a_refreshed_product_s_new_inputs_are_seen_at_once() -> None:
    mesh = [product("a", []), product("x", []), product("b", ["a"])]
    assert await upstream(mesh, "b") == ["product:a", "product:b"]
    later = T0 + timedelta(minutes=1)
    b2 = dataclasses.replace(product("b", ["x"], at=T0), updated_at=later)
    assert await upstream([mesh[0], mesh[1], b2], "b") == ["product:b", "product:x"]


def test_a_graph_laid_over_the_layer_never_changes_it() -> None:
    base = Graph()
    base.add_node(Node("p", NodeKind.PRODUCT, "p", "p"))
    top = Graph(base=base)
    edge = Edge("t", "p", EdgeKind.PART_OF, Origin.DECLARED)
    top.add_node(Node("t", NodeKind.TABLE, "t", "p"))
    top.add_edge(edge)
    top.add_node(Node("p", NodeKind.PRODUCT, "another name", "p"))  # the first one wins
    assert top.upstream("p") == [edge] and top.nodes["p"].name == "p"
    assert base.upstream("p") == [] and "t" not in base.nodes
    base_edge = Edge("s", "p", EdgeKind.INPUT, Origin.DECLARED)
    base.add_edge(base_edge)
    top.add_edge(base_edge)  # known below: kept once
    assert top.upstream("p") == [base_edge, edge]
