"""One decision at a time per customer: a decision's policy snapshot (contacts, budgets) read at
its start is still true when it is appended, and an approval's release re-guards and appends
the same way.

Within a process an ``asyncio.Lock`` per customer does it. Across processes, one of:

- **PostgreSQL** (the stores are there): a session advisory lock keyed by a hash of the
  customer id, held on a connection of a small pool of its own for the length of the
  decision. Every worker on every host that shares the database takes turns.
- **One host** (SQLite): an exclusive ``flock`` on one of ``buckets`` lock files in
  ``<data_dir>/locks`` (a customer's bucket is a hash of its id, so two customers rarely share
  one, and then only wait for each other).
- Neither: only the process is serialized.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from agent.stores.postgres import CONNECT

__all__ = ["CustomerLocks", "advisory_key"]

_LOCK_CLASS = 0x6E62  # "nb": the first key of the two-key advisory locks, nextbest's own


def _hash32(customer_id: str) -> int:
    return int.from_bytes(hashlib.sha256(customer_id.encode()).digest()[:4], "big")


T = TypeVar("T")

_FIRST_PAUSE_S = 0.002
_LAST_PAUSE_S = 0.05
"""How long a decision waits before it tries a held lock again (doubling in between)."""


async def _until(attempt: Callable[[], Awaitable[T | None]]) -> T:
    """The first answer of ``attempt`` that is not None, trying again after a pause that
    doubles (a wait that holds no thread)."""
    pause = _FIRST_PAUSE_S
    while (answer := await attempt()) is None:
        await asyncio.sleep(pause)
        pause = min(pause * 2, _LAST_PAUSE_S)
    return answer


def _try_lock(conn: psycopg.Connection[Any], key: tuple[int, int]) -> bool | None:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
    return True if row and row[0] else None


async def _try_flock(fd: int) -> bool | None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a syscall, never a wait
    except BlockingIOError:
        return None
    return True


async def _borrow(pool: ConnectionPool[psycopg.Connection[Any]]) -> psycopg.Connection[Any]:
    """A pooled connection, waited for without holding a thread while the pool is empty."""

    async def attempt() -> psycopg.Connection[Any] | None:
        try:
            return await asyncio.to_thread(pool.getconn, timeout=_LAST_PAUSE_S)
        except PoolTimeout:
            return None

    return await _until(attempt)


def advisory_key(customer_id: str) -> tuple[int, int]:
    """The customer's two-key advisory lock: nextbest's class, and a signed 32-bit hash."""
    value = _hash32(customer_id)
    return _LOCK_CLASS, value - (1 << 32) if value >= 1 << 31 else value


class CustomerLocks:
    def __init__(
        self,
        directory: Path | None = None,
        *,
        buckets: int = 1024,
        database_url: str | None = None,
        pool_size: int = 10,
    ) -> None:
        # Weak values: a customer nobody is deciding for holds no lock.
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._directory = None if database_url else directory
        self._buckets = buckets
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        if database_url:
            self._pool = ConnectionPool(
                database_url,
                min_size=1,
                max_size=pool_size,
                kwargs=CONNECT,
                name="nextbest-locks",
                open=True,
            )
        elif directory is not None:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _file(self, customer_id: str) -> Path:
        assert self._directory is not None
        return self._directory / f"{_hash32(customer_id) % self._buckets:04d}.lock"

    @asynccontextmanager
    async def of(self, customer_id: str) -> AsyncIterator[None]:
        """Hold the customer's lock for the block: this process's, then the shared one.

        Waiting for the shared lock holds no thread: it is tried without blocking and tried
        again after a pause, so that decisions waiting behind others (two customers share a
        lock file; another process holds the customer) never fill the thread pool that the
        holders need to finish."""
        lock = self._local.get(customer_id)
        if lock is None:
            lock = self._local[customer_id] = asyncio.Lock()
        async with lock:
            if self._pool is not None:
                async with self._advisory(self._pool, customer_id):
                    yield
            elif self._directory is not None:
                async with self._flock(self._file(customer_id)):
                    yield
            else:
                yield

    @staticmethod
    @asynccontextmanager
    async def _flock(path: Path) -> AsyncIterator[None]:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            await _until(lambda: _try_flock(fd))
            yield
        finally:
            os.close(fd)  # closing releases the flock

    @staticmethod
    @asynccontextmanager
    async def _advisory(
        pool: ConnectionPool[psycopg.Connection[Any]], customer_id: str
    ) -> AsyncIterator[None]:
        key = advisory_key(customer_id)
        conn = await _borrow(pool)
        try:
            await _until(lambda: asyncio.to_thread(_try_lock, conn, key))
            try:
                yield
            finally:
                await asyncio.to_thread(conn.execute, "SELECT pg_advisory_unlock(%s, %s)", key)
        finally:
            # a connection whose unlock failed is closed by the pool, and its lock with it
            await asyncio.to_thread(pool.putconn, conn)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
