"""One runner per background job across the gateway processes sharing a registry.

With ``meshgate serve --workers N`` every process starts the same background jobs. Those
that call every product (health rounds, certification rounds) would multiply the load on
the products by N, so each asks its election before a round and only the process that
holds the job's lock runs it. The lock is a PostgreSQL session advisory lock on the
registry's database, taken on a connection of its own: the server releases it the moment
that connection ends (the process died, the network was cut), and another process takes
it at its next try. A lock is per database, so gateways of different registries never
compete. The connection is named ``meshgate <job> pid <pid>`` (``pg_stat_activity``), so
an operator can see which process leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from typing import Protocol

import psycopg

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
UNLOCK_TIMEOUT_SECONDS = 2  # a database that does not answer: the session's end frees it


def job_key(job: str) -> int:
    """The advisory lock key of ``job``: a signed 64-bit number, stable across processes.

    >>> job_key("health") == job_key("health") != job_key("certification")
    True
    """
    digest = hashlib.blake2b(f"meshgate election {job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Election(Protocol):
    async def leading(self) -> bool:
        """Whether this process runs the job's next round (asked before each)."""
        ...

    async def close(self) -> None: ...


class Alone:
    """The one process of a gateway: it runs every round."""

    async def leading(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class AdvisoryLock:
    """:class:`Election` by a PostgreSQL session advisory lock on ``dsn``.

    Each :meth:`leading` either confirms the session holding the lock is still alive or
    tries to take the lock (without waiting); a database that does not answer means not
    leading this round (a round skipped is safer than two processes running it).
    """

    def __init__(self, dsn: str, job: str) -> None:
        self.job = job
        self._dsn = dsn
        self._key = job_key(job)
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._held = False
        self._closed = False

    async def leading(self) -> bool:
        if self._closed:  # a stopping process takes no lead (nor a new session)
            return False
        try:
            conn = await self._connection()
            if self._held:
                await conn.execute("SELECT 1")  # the session, and so the lock, lives on
                return True
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
            row = await cur.fetchone()
            self._held = bool(row and row[0])
            if self._closed:  # closed while asking: let go of what was just taken
                await self._hang_up(release=True)
                return False
            if self._held:
                log.info("this process (pid %d) now runs the %s rounds", os.getpid(), self.job)
            return self._held
        except psycopg.Error as exc:
            log.warning("%s election: the registry database did not answer: %s", self.job, exc)
            await self._hang_up()
            return False

    async def _connection(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._held = False
            self._conn = await psycopg.AsyncConnection.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name=f"meshgate {self.job} pid {os.getpid()}",
            )
        return self._conn

    async def close(self) -> None:
        """Give the lock up, then end the session, for good."""
        self._closed = True
        await self._hang_up(release=True)

    async def _hang_up(self, *, release: bool = False) -> None:
        """End the session; with ``release``, unlock first if it holds the lock. The server
        frees a closed session's lock only once its backend has exited, a moment later on
        a busy machine: a successor asking meanwhile would not lead (seen in CI). An
        error path does not unlock: its session is suspect, and its end frees the lock."""
        conn, held = self._conn, self._held
        self._conn, self._held = None, False
        if conn is None:
            return
        if release and held and not conn.closed:
            with contextlib.suppress(psycopg.Error, TimeoutError):
                unlock = conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
                await asyncio.wait_for(unlock, UNLOCK_TIMEOUT_SECONDS)
        with contextlib.suppress(psycopg.Error):  # a session gone holds nothing
            await conn.close()


def open_election(dsn: str, job: str, *, workers: int) -> Election:
    """The election of ``job`` among ``workers`` processes sharing the registry at ``dsn``
    (one process: :class:`Alone`, no connection)."""
    return AdvisoryLock(dsn, job) if workers > 1 else Alone()
