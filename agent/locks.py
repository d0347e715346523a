"""One task at a time per customer in this process: a decision's policy snapshot (contacts,
budgets) read at its start is still true when it is appended, and an approval's release
re-guards and appends the same way."""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["CustomerLocks"]


class CustomerLocks:
    def __init__(self) -> None:
        # Weak values: a customer nobody is deciding for holds no lock.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def of(self, customer_id: str) -> asyncio.Lock:
        lock = self._locks.get(customer_id)
        if lock is None:
            lock = self._locks[customer_id] = asyncio.Lock()
        return lock
