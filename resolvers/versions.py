"""Comparing two contract versions for the graph, and lifecycle notes on SQL answers.

Both contracts are read the way ``contract(id, version)`` reads one
(:func:`resolvers.documents.contract_document`): only from a registered product that
publishes it, only under that product's base URL, only if the answer validates as that
ODCS contract. So a contract the caller could not read cannot be compared either: the
same error, with the same code, refuses both. The comparison runs off the event loop
(a hostile contract of thousands of columns takes a noticeable fraction of a second).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from contracts.compare import Comparison, compare_contracts, declared_bump
from gateway.federation.catalog import CatalogTable
from gateway.federation.notes import lifecycle_notes
from resolvers import documents

if TYPE_CHECKING:
    from resolvers.context import RequestContext


async def compare(
    ctx: RequestContext, old: tuple[str, str], new: tuple[str, str]
) -> tuple[Comparison, str | None]:
    """The changes from contract ``old`` to ``new`` (each ``(id, version)``), and the bump
    their versions declare."""
    (_, a), (_, b) = await asyncio.gather(
        documents.contract_document(ctx, old[0], old[1]),
        documents.contract_document(ctx, new[0], new[1]),
    )
    result = await asyncio.to_thread(compare_contracts, a.data, b.data)
    return result, declared_bump(old[1], new[1])


def warn_lifecycle(ctx: RequestContext, tables: Iterable[CatalogTable]) -> None:
    """Add a note to the answer for each contract version read that is past, or near, its
    end of support or end of life (:mod:`gateway.federation.notes`). Codes are the
    lifecycle codes in capitals (``END_OF_SUPPORT_PASSED``, ``END_OF_LIFE_NEAR``...)."""
    days: int = ctx.services.settings.contract_lifecycle_warning_days
    for note in lifecycle_notes(tables, datetime.now(UTC), days):
        ctx.warn(note.message, code=note.code, product_id=note.product_id)
