"""The product layer of the mesh, built once per state of the registry.

Every lineage and impact question starts from the same product graph (each product, each
input port as an edge). Built per question it costs most of the answer on a large mesh
(about 2 s of 4 for 10,000 products consuming 21 each, bench/lineage_graph.py); here it is
built once for a given list of products and kept while that list is the same: the
fingerprint is each product's id and times of registration and last update, which every
change of the registry moves. The graph returned is never changed: questions lay their own
graph over it (:class:`gateway.lineage.graph.Graph` ``base``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from gateway.lineage.declared import add_products
from gateway.lineage.graph import Graph
from gateway.registry import RegisteredProduct

KEPT = 2
"""Product layers kept (the current one and the one before, for questions under way)."""

Fingerprint = tuple[tuple[str, object, object], ...]

_layers: dict[Fingerprint, Graph] = {}
_lock = threading.Lock()
# The list the last layer was asked for, by identity: the registry's snapshot hands the
# same tuple to every question until the registry changes (gateway.registry.snapshot),
# and a tuple never changes, so no fingerprint of 10,000 products is needed to know it.
_last: tuple[Sequence[RegisteredProduct], Graph] | None = None


def fingerprint(products: Sequence[RegisteredProduct]) -> Fingerprint:
    """Changes whenever a product is added, removed, re-registered or refreshed (the key
    itself, not its hash: two states of the registry can never share a layer)."""
    return tuple((p.id, p.registered_at, p.updated_at) for p in products)


def product_layer(products: Sequence[RegisteredProduct]) -> Graph:
    """The product graph of ``products`` (shared: do not change it, lay a graph over it)."""
    global _last
    last = _last
    if last is not None and last[0] is products:
        return last[1]
    key = fingerprint(products)
    with _lock:
        found = _layers.get(key)
    if found is None:
        found = Graph()
        add_products(found, products)
        with _lock:
            _layers[key] = found
            while len(_layers) > KEPT:
                del _layers[next(iter(_layers))]
    if isinstance(products, tuple):
        _last = (products, found)
    return found
