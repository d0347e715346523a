"""Erasure: a customer's right to be forgotten, and the receipt that proves it was done.

Erasing deletes the profile and events from the customer store, destroys the customer's record
key (so every decision record of theirs becomes unreadable, while the rows and their hashes
stay), clears what was derived from them, and appends a receipt that holds no personal data:
a keyed token of the customer id, what was removed, when and by whom.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.audit.chain import append_entry
from agent.stores.database import DatabaseTarget, attach
from agent.stores.sqlite import to_micros

__all__ = ["ErasureLog", "ErasureReceipt", "SqlErasureLog"]


class ErasureReceipt(BaseModel):
    """What an erasure removed. No personal data: the customer appears as a keyed token."""

    model_config = ConfigDict(frozen=True)

    receipt_id: str = Field(description="era_…, sortable by time.")
    customer_token: str = Field(
        description="Keyed token of the erased customer id: whoever holds the id and the "
        "service key can find the receipt; nobody else can tell whose it is."
    )
    erased_at: AwareDatetime = Field(description="When it was done.")
    caller: str | None = Field(description="The API key that asked for it.")
    profile_deleted: bool = Field(description="A stored profile was deleted.")
    events_deleted: int = Field(description="Stored interaction events deleted.")
    records_sealed: int = Field(
        description="Decision records sealed with the destroyed key: unreadable from now on."
    )
    derived_removed: list[str] = Field(
        description="What else was derived from the customer and removed (caches, files)."
    )


class ErasureLog(Protocol):
    """Erasure receipts, append-only. Blocking and safe to call from many threads."""

    def append(self, receipt: ErasureReceipt) -> ErasureReceipt: ...

    def find(self, customer_token: str) -> list[ErasureReceipt]:
        """The receipts of one customer (by token), oldest first."""
        ...

    def close(self) -> None: ...


class SqlErasureLog:
    """Append-only erasure receipts (``erasures`` table)."""

    def __init__(self, db: DatabaseTarget) -> None:
        self._db, self._owns_db = attach(db)

    def append(self, receipt: ErasureReceipt) -> ErasureReceipt:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO erasures (receipt_id, customer_token, erased_us, body)"
                " VALUES (?, ?, ?, ?)",
                (
                    receipt.receipt_id,
                    receipt.customer_token,
                    to_micros(receipt.erased_at),
                    receipt.model_dump_json(),
                ),
            )
            append_entry(conn, "erasures", receipt.receipt_id, to_micros(receipt.erased_at))
        return receipt

    def find(self, customer_token: str) -> list[ErasureReceipt]:
        rows = (
            self._db.connection()
            .execute(
                "SELECT body FROM erasures WHERE customer_token = ? ORDER BY erased_us",
                (customer_token,),
            )
            .fetchall()
        )
        return [ErasureReceipt.model_validate_json(body) for (body,) in rows]

    def close(self) -> None:
        if self._owns_db:
            self._db.close()
