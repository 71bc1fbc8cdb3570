"""The PostgreSQL certification store: the registry's database, a table of its own."""

from __future__ import annotations

from datetime import datetime

from gateway.certification.model import Certification
from gateway.certification.store import (
    COLUMNS,
    CertificationError,
    CertificationPage,
    check_page,
    decode_cursor,
    history_sql,
    of_row,
    page_args,
    page_of,
    values,
)
from gateway.stores import PostgresCalls, utc

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE certifications (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                product_id text NOT NULL,
                checked_at timestamptz NOT NULL,
                status text NOT NULL,
                level text,
                product_status text,
                report jsonb NOT NULL
            )
            """,
            "CREATE INDEX certifications_product ON certifications (product_id, checked_at, id)",
            "CREATE INDEX certifications_at ON certifications (checked_at)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# Serializes gateways migrating the same database at once ("certif" in ASCII).
_MIGRATION_LOCK = 0x636572746966
_INSERT = (
    f"INSERT INTO certifications ({', '.join(COLUMNS[1:])}) "
    f"VALUES (%s, %s, %s, %s, %s, %s::jsonb) RETURNING id"
)


class PostgresCertificationStore:
    def __init__(self, calls: PostgresCalls) -> None:
        self._calls = calls

    @classmethod
    async def open(cls, dsn: str, *, pool_size: int = 4) -> PostgresCertificationStore:
        calls = await PostgresCalls.open(
            dsn, MIGRATIONS, table="certification_schema", what="certification store",
            error=CertificationError, lock_key=_MIGRATION_LOCK, pool_size=pool_size,
        )  # fmt: skip
        return cls(calls)

    async def record(self, certification: Certification) -> int:
        row = values(certification, utc(certification.checked_at))
        [(new_id,)] = await self._calls.select(_INSERT, list(row))
        return int(new_id)

    async def history(
        self, product_id: str, *, first: int = 20, after: str | None = None
    ) -> CertificationPage:
        check_page(first)
        cut = decode_cursor(after) if after is not None else None
        rows = await self._calls.select(
            history_sql("%s", after=cut is not None), page_args(product_id, cut, first + 1)
        )
        return page_of([of_row(r, r[2]) for r in rows], first)

    async def purge(self, older_than: datetime) -> int:
        sql = "DELETE FROM certifications WHERE checked_at < %s"
        return await self._calls.execute(sql, (utc(older_than),))

    async def close(self) -> None:
        await self._calls.close()
