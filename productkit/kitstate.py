"""The kit's own state on disk: subscriptions, run state, configure overrides.

A product gateway that restarts must come back as it was left: a paused product stays
paused, tags set with ``/control/configure`` stay set, and subscribers keep their
subscriptions (and their creation limits keep counting). All of it lives in one SQLite
file (stdlib :mod:`sqlite3`, WAL journal), at the path the operator sets
(``MESHGATE_PRODUCT_STATE_PATH``; nothing a caller sends can change it).

Each call is one short transaction, run where it is called (the kit's writes are a few
rows, far under a millisecond); a second process on the same file waits for the lock
(at most :data:`BUSY_TIMEOUT_MS`) instead of corrupting it. The subscription cap is
checked inside the writing transaction, so it holds across processes too.

Secrets are never stored: a subscription keeps the SHA-256 digest its holder's secret is
compared with. The schema has its own version (``PRAGMA user_version``) moved forward by
:data:`MIGRATIONS`; a file written by a newer kit is refused, as is a file that is not
an SQLite database, with :class:`StateFileError` naming the file as the operator set it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from productkit.errors import ProductConfigError

#: Where the state is kept when nothing else is set (relative to the product folder).
DEFAULT_STATE_PATH = ".state/kit.sqlite3"
#: This value keeps the state in memory only (lost at restart, as before the store).
IN_MEMORY = ":memory:"
#: How long a write waits for another process holding the file's lock.
BUSY_TIMEOUT_MS = 2000

#: Ordered schema steps; step ``n`` (1-based) brings the file to version ``n``.
#: Append only: a released step never changes.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        endpoint TEXT NOT NULL,
        events TEXT NOT NULL,
        extra TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL UNIQUE,
        delivered INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at REAL NOT NULL
    );
    CREATE TABLE creations (client TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX creations_by_client ON creations (client, at);
    CREATE TABLE kit_values (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StateFileError(ProductConfigError):
    """The state file cannot be used; the message names it (as set) and what to do."""

    code = "STATE_FILE_INVALID"


@dataclass
class StoredSubscription:
    """A subscription as stored: what the kit needs to deliver to it and to verify it."""

    id: str
    endpoint: str
    events: tuple[str, ...]
    extra: dict[str, Any]
    secret_sha256: str
    delivered: int = 0
    failed: int = 0
    last_error: str | None = None
    created_at: float = field(default=0.0)


class KitState:
    """One product kit's state file (or an in-memory stand-in), safe to share by threads."""

    def __init__(self, db: sqlite3.Connection, shown: str) -> None:
        self._db = db
        self.shown = shown
        self._lock = threading.Lock()

    @classmethod
    def open(cls, setting: str, folder: Path) -> KitState:
        """Open (creating it and its folder if needed) the state file ``setting`` names.

        A relative ``setting`` starts at the product ``folder``; :data:`IN_MEMORY`
        keeps nothing on disk. Raise :class:`StateFileError` when the file cannot be
        opened, is not a kit state file, or was written by a newer kit.
        """
        if setting == IN_MEMORY:
            return cls._opened(sqlite3.connect(IN_MEMORY, check_same_thread=False), setting)
        path = Path(setting) if Path(setting).is_absolute() else folder / setting
        try:
            # Only the owner reads the state: it holds callback URLs of subscribers.
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
            db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise StateFileError(
                f"the kit's state file {setting} cannot be opened ({_reason(exc)}); "
                "check MESHGATE_PRODUCT_STATE_PATH and the folder's permissions"
            ) from None
        return cls._opened(db, setting)

    @classmethod
    def _opened(cls, db: sqlite3.Connection, shown: str) -> KitState:
        db.isolation_level = None  # transactions are explicit (BEGIN IMMEDIATE)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Refuse a newer file before changing anything in it (even its journal mode).
            _refuse_newer(db, shown)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            _migrate(db, shown)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StateFileError(
                f"the kit's state file {shown} is not a kit state file ({_reason(exc)}); "
                "move it aside (the kit then starts afresh) or restore it from a backup"
            ) from None
        except StateFileError:
            db.close()
            raise
        return cls(db, shown)

    def close(self) -> None:
        """Close the file (its WAL is folded back in)."""
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so two processes queue, never interleave."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- values (run state, configure overrides, last certification) ---------------------

    def value(self, key: str) -> Any:
        """The stored JSON value of ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM kit_values WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            raise StateFileError(
                f"the kit's state file {self.shown} holds an unreadable value for {key!r}; "
                "move it aside or restore it from a backup"
            ) from None

    def set_value(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON) under ``key``."""
        with self._write() as db:
            db.execute(
                "INSERT INTO kit_values (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    # -- subscriptions -------------------------------------------------------------------

    def subscriptions(self) -> list[StoredSubscription]:
        """Every stored subscription, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, endpoint, events, extra, secret_sha256, delivered, failed, "
                "last_error, created_at FROM subscriptions ORDER BY created_at, rowid"
            ).fetchall()
        try:
            return [
                StoredSubscription(
                    r[0], r[1], tuple(json.loads(r[2])), dict(json.loads(r[3])), *r[4:]
                )
                for r in rows
            ]
        except (ValueError, TypeError):
            raise StateFileError(
                f"the kit's state file {self.shown} holds an unreadable subscription; "
                "move it aside or restore it from a backup"
            ) from None

    def add_subscription(
        self,
        client: str,
        now: float,
        window: float,
        admit: Callable[[int, list[float]], None],
        make: Callable[[], StoredSubscription],
    ) -> StoredSubscription:
        """Store the subscription ``make`` returns, if ``admit`` lets ``client`` create one.

        ``admit(total, recent)`` sees the number of subscriptions and ``client``'s
        creation times within ``window`` seconds of ``now`` (oldest first) and raises to
        refuse; both are read in the writing transaction, so limits hold across processes.
        """
        with self._write() as db:
            db.execute("DELETE FROM creations WHERE at <= ?", (now - window,))
            (total,) = db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()
            recent = [
                at
                for (at,) in db.execute(
                    "SELECT at FROM creations WHERE client = ? ORDER BY at", (client,)
                )
            ]
            admit(total, recent)
            sub = make()
            db.execute(
                "INSERT INTO subscriptions (id, endpoint, events, extra, secret_sha256, "
                "delivered, failed, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sub.id, sub.endpoint, json.dumps(list(sub.events)), json.dumps(sub.extra),
                    sub.secret_sha256, sub.delivered, sub.failed, sub.last_error, now,
                ),
            )  # fmt: skip
            db.execute("INSERT INTO creations (client, at) VALUES (?, ?)", (client, now))
            return sub

    def remove_subscription(self, subscription_id: str) -> None:
        """Forget a subscription (its secret stops working after a restart too)."""
        with self._write() as db:
            db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    def record_delivery(
        self, subscription_id: str, delivered: int, failed: int, last_error: str | None
    ) -> None:
        """Keep a subscription's delivery counters."""
        with self._write() as db:
            db.execute(
                "UPDATE subscriptions SET delivered = ?, failed = ?, last_error = ? WHERE id = ?",
                (delivered, failed, last_error, subscription_id),
            )


def _migrate(db: sqlite3.Connection, shown: str) -> None:
    """Bring the file to :data:`SCHEMA_VERSION`; refuse one from a newer kit."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _refuse_newer(db, shown)
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in step.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _refuse_newer(db: sqlite3.Connection, shown: str) -> int:
    """The file's schema version; raise :class:`StateFileError` if a newer kit wrote it."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise StateFileError(
            f"the kit's state file {shown} has schema version {version}, newer than this "
            f"kit's {SCHEMA_VERSION}: run a newer kit, or move the file aside"
        )
    return int(version)


def _reason(exc: Exception) -> str:
    """A short reason without paths (the file is named by the caller, as set)."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc).split(":")[0]
