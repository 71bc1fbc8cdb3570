"""The whole registry in memory, read once per state of the registry.

Some questions need every product (the products downstream of a degraded one, the
publisher of a contract by id, lineage). Reading 10,000 rows for each of them (each health
event made the webhook sink do it) costs hundreds of milliseconds of the gateway's CPU
per event. A :class:`Snapshot` is read once and kept while the registry's *stamp* (how
many products, the latest update) stays the same: one small aggregate query per use,
instead of the whole table. A change made through this gateway drops it at once; one
made by another gateway sharing the database moves the stamp (registering or refreshing
sets a newer update time, unregistering lowers the count).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.registry.model import ContractLink, RegisteredProduct

Stamp = tuple[int, str]
"""(number of products, latest ``updated_at`` as ISO text): moved by every change."""


@dataclass(frozen=True)
class Snapshot:
    """Every registered product at one stamp, in listing order; never changed."""

    stamp: Stamp
    products: tuple[RegisteredProduct, ...]

    @functools.cached_property
    def publishers(self) -> dict[str, tuple[tuple[RegisteredProduct, ContractLink], ...]]:
        """Each contract id with the products whose output contract links carry it (and
        the link): the publisher of a contract without reading every product."""
        found: dict[str, list[tuple[RegisteredProduct, ContractLink]]] = {}
        for product in self.products:
            for link in product.contracts:
                found.setdefault(link.id, []).append((product, link))
        return {cid: tuple(hits) for cid, hits in found.items()}

    def published(self, contract_id: str) -> Sequence[tuple[RegisteredProduct, ContractLink]]:
        """The (publisher, link) pairs of ``contract_id``, every version.

        >>> Snapshot((0, ""), ()).published("c")
        ()
        """
        return self.publishers.get(contract_id, ())
