"""A SQLite database file shared by the stores: one connection per thread, WAL, explicit writes.

Each thread gets its own connection (SQLite connections must not be used by two threads at
once); WAL lets readers run beside the one writer. Connections run in autocommit mode and every
write goes through :meth:`SqliteDatabase.write`, which takes the write lock up front
(``BEGIN IMMEDIATE``) so a busy database waits ``busy_timeout`` instead of failing mid-way.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from agent.stores.schema import migrate

__all__ = [
    "SqliteDatabase",
    "StoreClosedError",
    "from_micros",
    "private_dir",
    "private_file",
    "to_micros",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class StoreClosedError(RuntimeError):
    """The store was closed; open a new one."""


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, sortable)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def private_dir(path: Path) -> Path:
    """The directory, made (or narrowed to) owner-only: it holds customer data."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> None:
    """Create the database file owner-only (SQLite gives its -wal and -shm files the same
    mode), or narrow an existing one."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)


class SqliteDatabase:
    """Thread-safe access to one SQLite file; the schema is created or upgraded on open."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 10_000) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        private_dir(path.parent)
        private_file(path)
        migrate(self.connection())

    @property
    def path(self) -> Path:
        return self._path

    @property
    def dialect(self) -> Literal["sqlite"]:
        return "sqlite"

    @property
    def location(self) -> str:
        return str(self._path)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection for reads, opened on first use (autocommit: each
        statement sees what was committed)."""
        if self._closed:
            raise StoreClosedError(f"the store on {str(self._path)!r} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and empty it (after an erasure, no copy of
        what was deleted may linger in it)."""
        self.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close every connection this database opened; later calls raise StoreClosedError."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for index, conn in enumerate(connections):
            if index == 0:  # keep the query planner's statistics fresh, as SQLite advises
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA optimize")
            conn.close()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,  # only so close() may run on another thread
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        self._use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")  # deleted keys and profiles are overwritten
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (it stays so). Converting needs an exclusive lock, and SQLite
        answers "database is locked" to a racing opener without consulting the busy handler,
        so a new file opened by several threads or processes at once retries, within the busy
        timeout; a file already in WAL is not touched."""
        give_up = time.monotonic() + self._busy_timeout_ms / 1000
        pause = 0.005
        while True:
            try:
                (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
                if str(mode).lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > give_up:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
