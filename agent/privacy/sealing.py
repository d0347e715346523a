"""Row bodies sealed with their customer's key: the one place that reads and writes
``customer_keys``, for every store whose rows say something about a customer (decision
records, reviews). Erasure deletes the customer's key row, and every body it sealed, in any
table, becomes unreadable while the rows and their hashes stay."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from agent.privacy.cipher import SEALED_PREFIX, RecordCipher

if TYPE_CHECKING:  # the stores import the seal: types only, no cycle
    from agent.stores.database import Connection

__all__ = ["CustomerSeal", "KeyDestroyed"]


class KeyDestroyed(LookupError):  # noqa: N818 - reads better at the raise
    """The body is sealed, and its customer's key is gone (erased) or was never given."""


class CustomerSeal:
    """Seals and opens bodies with per-customer keys; without a cipher, bodies stay plain."""

    def __init__(self, cipher: RecordCipher | None) -> None:
        self._cipher = cipher

    def seal(self, conn: Connection, customer_id: str, body: str, bound_to: str) -> str:
        """The body sealed with the customer's key (created on first use, in ``conn``'s
        transaction), bound to the row's id so it cannot be moved to another row."""
        if self._cipher is None:
            return body
        key = self._key(conn, customer_id, create=True)
        assert key is not None
        return self._cipher.seal(key, body.encode(), bound_to)

    def open(self, conn: Connection, customer_id: str, body: str, bound_to: str) -> str:
        """The body as written; raises KeyDestroyed when it is sealed and cannot be opened."""
        if not body.startswith(SEALED_PREFIX):
            return body
        if self._cipher is None:
            raise KeyDestroyed("this store was opened without the record keys")
        key = self._key(conn, customer_id, create=False)
        if key is None:
            raise KeyDestroyed(f"customer {customer_id!r} was erased")
        return self._cipher.open(key, body, bound_to).decode()

    def destroy(self, conn: Connection, customer_id: str) -> bool:
        """Delete the customer's key (in ``conn``'s transaction); False when there was none."""
        deleted = conn.execute("DELETE FROM customer_keys WHERE customer_id = ?", (customer_id,))
        return deleted.rowcount > 0

    def _key(self, conn: Connection, customer_id: str, *, create: bool) -> bytes | None:
        assert self._cipher is not None
        row = conn.execute(
            "SELECT wrapped FROM customer_keys WHERE customer_id = ?", (customer_id,)
        ).fetchone()
        if row is not None:
            return self._cipher.unwrap(customer_id, bytes(row[0]))
        if not create:
            return None
        key, wrapped = self._cipher.new_key(customer_id)
        conn.execute(
            "INSERT INTO customer_keys (customer_id, wrapped, created_us) VALUES (?, ?, ?)",
            (customer_id, wrapped, time.time_ns() // 1000),
        )
        return key
