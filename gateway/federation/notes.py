"""Notes on a query's answer about the contracts it read: end of support and end of life.

A consumer reading a table whose contract version is past, or near, its end of support or
end of life must hear it with the answer (issue 9, contract versions), through the graph's
``sql`` (``extensions.warnings``) and through ``/sql/stream`` (a header). The dates travel
with each table of the SQL catalog (``CatalogTable.lifecycle``), so no contract is fetched
again to write them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contracts.lifecycle import lifecycle_notices
from gateway.federation.catalog import CatalogTable


@dataclass(frozen=True)
class Note:
    """One note for the answer: a lifecycle code in capitals, a sentence, the product."""

    code: str
    message: str
    product_id: str


def lifecycle_notes(tables: Iterable[CatalogTable], now: datetime, soon_days: int) -> list[Note]:
    """The notes of the contract versions of ``tables``, each contract version once."""
    seen: set[tuple[str, str]] = set()
    notes: list[Note] = []
    for table in tables:
        version = (table.contract_id, table.contract_version)
        if version in seen:
            continue
        seen.add(version)
        for notice in lifecycle_notices(table.lifecycle, now, soon_days):
            notes.append(Note(notice.code.upper(), notice.message, table.product_id))
    return notes
