"""A small bounded pool of blocking connections, for drivers that bring none (PyMySQL).

A product gateway answers several requests at once; one connection behind a lock made a
slow query of one request (a consumer's page, a quality rule) hold up all the others. The
pool lets up to ``size`` calls run at once and makes the rest wait for a free connection.
Connections are opened on demand, so a server that is down fails the call at once with
the driver's reason; each idle connection is checked before it is handed out and replaced
when the server dropped it (restart, ``KILL``, idle timeout); :meth:`BoundedPool.close`
closes the idle ones at once and the ones in use when they come back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from productkit.errors import ProductConfigError, StoreUnavailable

C = TypeVar("C")

DEFAULT_POOL_SIZE = 4
MAX_POOL_SIZE = 64


def pool_size(value: str | None, variable: str) -> int:
    """The pool size a product's environment asks for (``DEFAULT_POOL_SIZE`` when unset).

    >>> pool_size(None, "MYSQL_POOL_SIZE"), pool_size("2", "MYSQL_POOL_SIZE")
    (4, 2)
    >>> pool_size("0", "PG_POOL_SIZE")
    Traceback (most recent call last):
    ...
    productkit.errors.ProductConfigError: PG_POOL_SIZE must be a whole number from 1 to 64, ...
    """
    if value is None or not value.strip():
        return DEFAULT_POOL_SIZE
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_POOL_SIZE:
        raise ProductConfigError(
            f"{variable} must be a whole number from 1 to {MAX_POOL_SIZE}, got {value!r}"
        )
    return int(text)


class BoundedPool(Generic[C]):
    """At most ``size`` connections made by ``connect``; ``healthy`` says whether an idle
    one still works, ``disconnect`` closes one (and must not raise)."""

    def __init__(
        self,
        name: str,
        size: int,
        *,
        connect: Callable[[], C],
        healthy: Callable[[C], bool],
        disconnect: Callable[[C], None],
        wait: float,
    ) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least 1 connection, got {size}")
        self.name = name
        self.size = size
        self._connect = connect
        self._healthy = healthy
        self._disconnect = disconnect
        self._wait = wait
        self._idle: list[C] = []
        self._count = 0  # open connections: idle, in use, or being opened
        self._closed = False
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def connection(self) -> Iterator[C]:
        """A connection for one call, given back afterwards (one the call broke is found
        out when next handed out)."""
        conn = self._take()
        try:
            yield conn
        finally:
            self._give_back(conn)

    def close(self) -> None:
        """Refuse new calls and close every idle connection; one in use closes when its
        call gives it back."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._changed.notify_all()
        for conn in idle:
            self._disconnect(conn)

    @property
    def open_connections(self) -> int:
        """Connections open now (idle, in use, or being opened)."""
        with self._changed:
            return self._count

    # -- inside --------------------------------------------------------------------------

    def _take(self) -> C:
        deadline = time.monotonic() + self._wait
        while True:
            conn = self._reserve(deadline)
            if conn is None:
                return self._open_one()
            if self._healthy(conn):
                return conn
            # Dropped by the server while idle: close it and take or open another.
            self._disconnect(conn)
            self._release_place()

    def _reserve(self, deadline: float) -> C | None:
        """An idle connection, or ``None`` once a place for a new one is reserved."""
        with self._changed:
            while True:
                if self._closed:
                    raise StoreUnavailable(f"{self.name}: the store is closed")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.size:
                    self._count += 1
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StoreUnavailable(
                        f"{self.name}: all {self.size} connections stayed busy for {self._wait:g} s"
                    )
                self._changed.wait(remaining)

    def _open_one(self) -> C:
        try:
            return self._connect()
        except BaseException:
            self._release_place()
            raise

    def _release_place(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify()

    def _give_back(self, conn: C) -> None:
        with self._changed:
            if not self._closed:
                self._idle.append(conn)
                self._changed.notify()
                return
            self._count -= 1
        self._disconnect(conn)
