"""HTTP sessions to the Trino coordinator, reused per Trino user and bounded.

The ``trino`` client opens a ``requests.Session`` (a pool of keep-alive sockets) for each
connection it makes and never closes it unless told: one per query piled up sockets until
the garbage collector happened to run. Here a query leases a session, has it to itself
until it ends, and gives it back for the next query **of the same user**: a session
carries state (the headers the client last set on it, cookies) that must never reach
another caller, since each query runs as its caller (``user`` = the subject). At most
``max_idle`` sessions wait between queries, the least recently used closed first, so the
sockets held stay bounded whatever the number of queries or users.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import requests


class TrinoSessions:
    """Sessions leased one query at a time, kept per user while idle, at most ``max_idle``."""

    def __init__(
        self, *, max_idle: int, make: Callable[[], requests.Session] = requests.Session
    ) -> None:
        self._max_idle = max(0, max_idle)
        self._make = make
        self._lock = threading.Lock()
        self._idle: list[tuple[str, requests.Session]] = []  # oldest first
        self._leased = 0
        self._closed = False

    @property
    def open(self) -> int:
        """Sessions not closed yet: leased to a query, or idle."""
        with self._lock:
            return self._leased + len(self._idle)

    @property
    def idle(self) -> int:
        """Sessions waiting for their user's next query."""
        with self._lock:
            return len(self._idle)

    def acquire(self, user: str) -> requests.Session:
        """A session for one query of ``user``: the last one ``user`` gave back, else new."""
        with self._lock:
            for index in range(len(self._idle) - 1, -1, -1):
                if self._idle[index][0] == user:
                    session = self._idle.pop(index)[1]
                    break
            else:
                session = self._make()
            self._leased += 1
            return session

    def release(self, user: str, session: requests.Session) -> None:
        """Give ``session`` back once ``user``'s query ended (also when it failed)."""
        surplus: list[requests.Session] = []
        with self._lock:
            self._leased -= 1
            if self._closed or self._max_idle == 0:
                surplus.append(session)
            else:
                self._idle.append((user, session))
                while len(self._idle) > self._max_idle:
                    surplus.append(self._idle.pop(0)[1])
        for extra in surplus:  # closing a socket can block a moment: not under the lock
            extra.close()

    def close(self) -> None:
        """Close the idle sessions; a leased one is closed when its query gives it back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for _, session in idle:
            session.close()
