"""One decision at a time per customer: a decision's policy snapshot (contacts, budgets) read at
its start is still true when it is appended, and an approval's release re-guards and appends
the same way.

Within a process an ``asyncio.Lock`` per customer does it; across the worker processes of one
host, an exclusive ``flock`` on one of ``buckets`` lock files in ``<data_dir>/locks`` (a
customer's bucket is a hash of its id, so two customers rarely share one, and then only wait
for each other). Without a directory, only the process is serialized.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

__all__ = ["CustomerLocks"]


class CustomerLocks:
    def __init__(self, directory: Path | None = None, *, buckets: int = 1024) -> None:
        # Weak values: a customer nobody is deciding for holds no lock.
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._directory = directory
        self._buckets = buckets
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _file(self, customer_id: str) -> Path:
        assert self._directory is not None
        digest = hashlib.sha256(customer_id.encode()).digest()
        return self._directory / f"{int.from_bytes(digest[:4], 'big') % self._buckets:04d}.lock"

    @asynccontextmanager
    async def of(self, customer_id: str) -> AsyncIterator[None]:
        """Hold the customer's lock for the block: this process's, then the host's."""
        lock = self._local.get(customer_id)
        if lock is None:
            lock = self._local[customer_id] = asyncio.Lock()
        async with lock:
            if self._directory is None:
                yield
                return
            fd = os.open(self._file(customer_id), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock
