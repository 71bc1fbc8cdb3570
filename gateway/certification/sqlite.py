"""The SQLite certification store: the registry's file, a table of its own."""

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
from gateway.stores import SqliteCalls, stamp

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE certifications (
                id INTEGER PRIMARY KEY,
                product_id TEXT NOT NULL,
                checked_at TEXT NOT NULL,
                status TEXT NOT NULL,
                level TEXT,
                product_status TEXT,
                report TEXT NOT NULL
            )
            """,
            "CREATE INDEX certifications_product ON certifications (product_id, checked_at, id)",
            "CREATE INDEX certifications_at ON certifications (checked_at)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
_INSERT = (
    f"INSERT INTO certifications ({', '.join(COLUMNS[1:])}) "
    f"VALUES ({', '.join('?' for _ in COLUMNS[1:])})"
)


class SqliteCertificationStore:
    def __init__(self, calls: SqliteCalls) -> None:
        self._calls = calls

    @classmethod
    async def open(cls, path: str) -> SqliteCertificationStore:
        return cls(
            await SqliteCalls.open(
                path,
                MIGRATIONS,
                table="certification_schema",
                what="certification store",
                error=CertificationError,
            )
        )

    async def record(self, certification: Certification) -> int:
        row = values(certification, stamp(certification.checked_at))

        def insert() -> int:
            return int(self._calls.db.execute(_INSERT, row).lastrowid or 0)

        return await self._calls.run(insert)

    async def history(
        self, product_id: str, *, first: int = 20, after: str | None = None
    ) -> CertificationPage:
        check_page(first)
        cut = decode_cursor(after) if after is not None else None
        sql = history_sql("?", after=cut is not None)
        args = page_args(product_id, None if cut is None else (stamp(cut[0]), cut[1]), first + 1)
        rows = await self._calls.run(lambda: self._calls.db.execute(sql, args).fetchall())
        return page_of([of_row(r, datetime.fromisoformat(r[2])) for r in rows], first)

    async def purge(self, older_than: datetime) -> int:
        sql = "DELETE FROM certifications WHERE checked_at < ?"
        cursor = await self._calls.run(self._calls.db.execute, sql, (stamp(older_than),))
        return int(cursor.rowcount)

    async def close(self) -> None:
        await self._calls.close()
