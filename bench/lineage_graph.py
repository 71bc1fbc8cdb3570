#!/usr/bin/env python3
"""Time `gateway.lineage` (lineage and impact) on a generated registry of products.

    .venv/bin/python bench/lineage_graph.py [--products 10000] [--depth 10] [--runs 5]
                                            [--inputs 2]

In process, no HTTP: the registry summaries are generated (layers of 100 products, each
consuming ``--inputs`` neighbouring products of the layer above: 2 gives a narrow cone of
66 products downstream of the first, 21 a wide one of several hundred), and each product's
one contract (one table, four columns, each derived from the same column of its inputs) is
answered from
memory, so the figures are the graph's own work (build, walk, impact), not the network's
(the GraphQL fields fetch contracts live; see docs/lineage.md). Prints, per question, the
nodes and edges of the answer and the median and slowest of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages

from gateway.lineage import Direction, Limits, impact, lineage  # noqa: E402
from gateway.lineage.layer import product_layer  # noqa: E402
from gateway.registry import (  # noqa: E402
    ContractLink,
    ContractRef,
    RegisteredProduct,
    VersionSummary,
)
from gateway.usage import Reader  # noqa: E402

WIDTH = 100  # products per layer
COLUMNS = ("key", "day", "value", "unit")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def generate(count: int, fan_in: int = 2) -> list[RegisteredProduct]:
    products = []
    for i in range(count):
        layer, pos = divmod(i, WIDTH)
        inputs: tuple[ContractRef, ...] = ()
        if layer:
            above = [(layer - 1) * WIDTH + (pos + k) % WIDTH for k in range(fan_in)]
            inputs = tuple(ContractRef(f"c{j}", "1.0.0") for j in above)
        at = T0 + timedelta(seconds=i)
        products.append(
            RegisteredProduct(
                f"p{i}", f"p{i}", "bench", f"Product {i}", "", None, None, (), "active",
                f"http://bench/p{i}/discover/metadata", f"http://bench/p{i}",
                (VersionSummary("1.0.0", inputs, (ContractRef(f"c{i}", "1.0.0"),)),),
                (ContractLink(f"c{i}", "1.0.0", "", f"http://bench/p{i}/c"),), at, at,
            )
        )  # fmt: skip
    return products


class Memory:
    """The facts of the generated products, from memory."""

    def __init__(self, products: Sequence[RegisteredProduct]) -> None:
        self._inputs = {p.id: [f"p{ref.id[1:]}" for ref in p.versions[0].inputs] for p in products}

    async def contracts(self, product: RegisteredProduct) -> Sequence[Mapping[str, Any]]:
        sources = self._inputs[product.id]
        return [
            {"schema": [{"name": "t", "properties": [
                {"name": c, "transformSourceObjects": [f"bench.{s}.t.{c}" for s in sources],
                 "transformLogic": c}
                for c in COLUMNS
            ]}]}
        ]  # fmt: skip

    async def readers(self, product: RegisteredProduct) -> Sequence[Reader]:
        return []


def timed(runs: int, work: Any) -> tuple[Any, list[float]]:
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = asyncio.run(work())
        times.append((time.perf_counter() - started) * 1000)
    return result, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-nodes", type=int, default=100_000)
    parser.add_argument("--inputs", type=int, default=2, help="products each one consumes")
    args = parser.parse_args()
    products = generate(args.products, args.inputs)
    facts = Memory(products)
    limits = Limits(depth=args.depth, max_nodes=args.max_nodes)
    root, leaf = "product:p0", f"product:p{args.products - 1}"
    questions = {
        f"lineage DOWNSTREAM of {root}": lambda: lineage(
            products, facts, root, Direction.DOWNSTREAM, limits, lambda c, p: True
        ),
        f"lineage UPSTREAM of {leaf}": lambda: lineage(
            products, facts, leaf, Direction.UPSTREAM, limits, lambda c, p: True
        ),
        f"impact of {root}": lambda: impact(products, facts, root, limits),
        "impact of column:bench.p0.t.value": lambda: impact(
            products, facts, "column:bench.p0.t.value", limits
        ),
    }
    print(
        f"{args.products} products consuming {args.inputs} each, depth {args.depth}, "
        f"{args.runs} runs\n"
    )
    started = time.perf_counter()
    product_layer(products)  # what the first question after a registry change pays once
    built = (time.perf_counter() - started) * 1000
    print(f"product layer (built once per registry state, then shared): {built:.0f} ms\n")
    print("| question | nodes | edges | p50 ms | max ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, work in questions.items():
        found, times = timed(args.runs, work)
        if hasattr(found, "nodes"):
            nodes, edges = len(found.nodes), len(found.edges)
        else:
            nodes, edges = len(found.products), 0
        print(f"| {name} | {nodes} | {edges} | {statistics.median(times):.1f} | {max(times):.1f} |")


if __name__ == "__main__":
    main()
