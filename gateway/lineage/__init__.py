"""Lineage and impact: where a product's data comes from, and who is hit when it fails.

Declared edges (ODPS input ports, ODCS transform fields) and observed edges (federated
queries recorded by the usage store) are built into one graph, walked from a node, and
kept apart by their ``origin``. See docs/lineage.md.
"""

from __future__ import annotations

from gateway.lineage.build import Facts, Limits, RegistryOnly, check_depth, impact, lineage
from gateway.lineage.impact import Impacted, ImpactSet
from gateway.lineage.model import (
    Direction,
    Edge,
    EdgeKind,
    LineageGraph,
    Node,
    NodeKind,
    Origin,
    product_id,
)
from gateway.lineage.people import SUPPORT, TEAM, AllSubscribers, Subscriber, Subscribers

__all__ = [
    "SUPPORT",
    "TEAM",
    "RegistryOnly",
    "AllSubscribers",
    "Direction",
    "Edge",
    "EdgeKind",
    "Facts",
    "ImpactSet",
    "Impacted",
    "LineageGraph",
    "Limits",
    "Node",
    "NodeKind",
    "Origin",
    "Subscriber",
    "Subscribers",
    "check_depth",
    "impact",
    "lineage",
    "product_id",
]
