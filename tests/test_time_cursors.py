"""A made-up cursor naming a row id no database can hold is a BAD_REQUEST in every list
paged by (time, id), not a driver's overflow answered as an internal error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway import time_cursors
from gateway.audit import AuditLog
from gateway.certification import open_certification_store
from gateway.errors import BadRequest

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("row_id", [2**63, 2**64, -1])
async def test_certification_history_refuses_an_impossible_row_id(
    tmp_path: Path, row_id: int
) -> None:
    store = await open_certification_store(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        with pytest.raises(BadRequest, match="not a cursor"):
            await store.history("p", after=time_cursors.encode("cert:", AT, row_id))
    finally:
        await store.close()


async def test_the_audit_log_refuses_an_impossible_row_id(tmp_path: Path) -> None:
    audit = await AuditLog.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        with pytest.raises(BadRequest, match="not a cursor"):
            await audit.for_product("p", after=time_cursors.encode("audit:", AT, 2**64))
    finally:
        await audit.close()


def test_the_largest_possible_row_id_is_still_a_cursor() -> None:
    cursor = time_cursors.encode("cert:", AT, time_cursors.MAX_ROW_ID)
    assert time_cursors.decode("cert:", cursor) == (AT, 2**63 - 1)
