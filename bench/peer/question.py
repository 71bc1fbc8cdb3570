"""The question asked of every gateway, in each one's shape, and the check that the
answers carry the same data.

The question: every product's id, name, domain, owner, tags, description and health
status. meshgate has it as one ``products`` page (its health carries both its verdict
and the product's reported status; the latter is compared); the peer as 18 root fields (each
product's metadata and health operations); the direct client as 18 GETs. Each answer is
brought to the same rows (one per product, sorted by id) before they are compared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MESHGATE_QUERY = (
    "{ products(first: 50) { edges { node { id name domain owner tags description "
    "health { status reportedStatus } } } } }"
)
FIELDS = ("id", "name", "domain", "owner", "tags", "description", "health")

Row = dict[str, Any]


def _owner(value: Any) -> Any:
    """The owner's name: meshgate gives it as a string, the product as {name, email}."""
    return value.get("name") if isinstance(value, Mapping) else value


def _row(meta: Mapping[str, Any], health: Any) -> Row:
    return {
        "id": meta["id"], "name": meta["name"], "domain": meta["domain"],
        "owner": _owner(meta.get("owner")), "tags": list(meta.get("tags") or []),
        "description": meta.get("description"), "health": health,
    }  # fmt: skip


def _data(body: Mapping[str, Any], who: str) -> Mapping[str, Any]:
    if body.get("errors") or not isinstance(body.get("data"), Mapping):
        raise SystemExit(f"{who} answered with errors: {json.dumps(body)[:2000]}")
    data: Mapping[str, Any] = body["data"]
    return data


def meshgate_rows(body: Mapping[str, Any]) -> list[Row]:
    """Rows of a meshgate answer to MESHGATE_QUERY."""
    edges = _data(body, "meshgate")["products"]["edges"]
    # `status` is the gateway's own verdict against the contracts (the peer has none);
    # `reportedStatus` is the product's, what the peer and the direct client read.
    rows = [_row(e["node"], (e["node"].get("health") or {}).get("reportedStatus"))
            for e in edges]  # fmt: skip
    return sorted(rows, key=lambda r: r["id"])


def peer_rows(body: Mapping[str, Any], count: int) -> list[Row]:
    """Rows of a peer answer to ``compose.peer_query`` over ``count`` products."""
    data = _data(body, "the peer")
    rows = [_row(data[f"m{i}"], (data[f"h{i}"] or {}).get("status")) for i in range(count)]
    return sorted(rows, key=lambda r: r["id"])


def direct_rows(pairs: Sequence[Mapping[str, Any]]) -> list[Row]:
    """Rows of the direct client: ``[{"metadata": ..., "health": ...}, ...]``."""
    rows = [_row(p["metadata"], p["health"].get("status")) for p in pairs]
    return sorted(rows, key=lambda r: r["id"])


def same_data(reference: list[Row], other: list[Row], who: str, products: int) -> None:
    """Fail loudly unless ``other`` has the reference's rows, ``products`` of them."""
    if len(reference) != products:
        raise SystemExit(f"the direct client found {len(reference)} products, not {products}")
    if other == reference:
        return
    ref = {r["id"]: r for r in reference}
    got = {r["id"]: r for r in other}
    problems = [f"missing product {i}" for i in ref.keys() - got.keys()]
    problems += [f"extra product {i}" for i in got.keys() - ref.keys()]
    for pid in ref.keys() & got.keys():
        for name in FIELDS:
            if ref[pid][name] != got[pid][name]:
                problems.append(
                    f"{ref[pid]['name']}: {name} is {got[pid][name]!r}, "
                    f"the product says {ref[pid][name]!r}"
                )
    raise SystemExit(f"{who} does not carry the products' data:\n  " + "\n  ".join(problems))
