"""The decision log: one append-only row per decision, searchable, idempotent per customer key.

Rows are never updated or deleted (SQLite triggers refuse it); reviews and outcomes are new rows
elsewhere that point at a decision. The columns history queries need are derived at insert time
(:mod:`agent.stores.decision_columns`), so no query reads the JSON body to filter.
"""

from __future__ import annotations

from dataclasses import astuple, fields
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.audit.chain import append_entry
from agent.privacy import SEALED_PREFIX, RecordCipher
from agent.privacy.sealing import CustomerSeal, KeyDestroyed
from agent.record import DecisionRecordV1
from agent.stores.database import Connection, DatabaseTarget, IntegrityError, attach
from agent.stores.decision_columns import DecisionColumns, VerdictRow, columns_of, verdict_rows
from agent.stores.decision_query import DecisionQuery
from agent.stores.page import (
    CursorKey,
    InvalidCursor,
    Page,
    check_limit,
    decode_cursor,
    encode_cursor,
)
from agent.stores.sqlite import to_micros
from tools import ActionType

__all__ = [
    "DecisionLog",
    "DecisionQuery",
    "DuplicateDecisionError",
    "ErasedDecision",
    "IdempotencyConflict",
    "LoggedDecision",
    "RecordErased",
    "SqlDecisionLog",
]


class IdempotencyConflict(Exception):  # noqa: N818 - contract name
    """The customer's idempotency key was already used; ``existing`` is the earlier decision."""

    def __init__(self, existing: DecisionRecordV1) -> None:
        super().__init__(
            f"idempotency key {existing.idempotency_key!r} of customer {existing.customer_id!r} "
            f"was already used by decision {existing.decision_id!r}"
        )
        self.existing = existing


class DuplicateDecisionError(ValueError):
    """A record with this decision_id is already in the log."""


class RecordErased(LookupError):  # noqa: N818 - contract name
    """The record is in the log, but its customer was erased: it can no longer be read."""

    def __init__(self, decision_id: str, why: str) -> None:
        super().__init__(f"decision {decision_id!r} can no longer be read: {why}")
        self.decision_id = decision_id


class ErasedDecision(BaseModel):
    """What the log still says of a decision whose customer was erased: its columns, no record."""

    model_config = ConfigDict(frozen=True)

    decision_id: str = Field(description="The decision's id.")
    customer_id: str = Field(description="The customer's id (the rest of them is gone).")
    created_at: AwareDatetime = Field(description="When it was decided.")
    kind: str = Field(description="decision or briefing.")
    action_type: ActionType = Field(description="The chosen action's type.")
    mode: str = Field(description="The planner mode.")
    safe_default: bool = Field(description="Whether the safe default was used.")
    approval_required: bool = Field(description="Whether it waited for approval.")
    erased: Literal[True] = Field(default=True, description="Always true.")


LoggedDecision = DecisionRecordV1 | ErasedDecision
"""A decision as the log can show it: its record, or only its columns once erased."""

_SUMMARY_COLUMNS = (
    "decision_id, customer_id, created_at, kind, action_type, mode, safe_default, approval_required"
)


class DecisionLog(Protocol):
    """Append-only decision records. Blocking and safe to call from many threads."""

    def append(self, record: DecisionRecordV1) -> DecisionRecordV1:
        """Insert the record; raises IdempotencyConflict when its key was used before."""
        ...

    def get(self, decision_id: str) -> DecisionRecordV1 | None:
        """The record; raises RecordErased when its customer was erased."""
        ...

    def find_by_idempotency_key(self, customer_id: str, key: str) -> DecisionRecordV1 | None: ...

    def query(
        self, q: DecisionQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[LoggedDecision]:
        """Newest first, in pages that stay stable while new decisions arrive; a decision
        whose customer was erased shows as an ErasedDecision."""
        ...

    def shred(self, customer_id: str) -> int:
        """Destroy the customer's record key; how many records it sealed (0 when there was
        no key: never one, or destroyed before)."""
        ...

    def close(self) -> None: ...


class _DecisionCursor(CursorKey):
    t: int
    id: str
    q: str


def _insert(table: str, names: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


_INSERT = _insert("decisions", [f.name for f in fields(DecisionColumns)] + ["record"])
_INSERT_VERDICT = _insert("decision_verdicts", [f.name for f in fields(VerdictRow)])


def _where(q: DecisionQuery) -> tuple[list[str], list[str | int]]:
    clauses: list[str] = []
    params: list[str | int] = []
    if q.customer_id is not None:
        clauses.append("customer_id = ?")
        params.append(q.customer_id)
    if q.action_type is not None:
        clauses.append("action_type = ?")
        params.append(q.action_type.value)
    if q.mode is not None:
        clauses.append("mode = ?")
        params.append(q.mode)
    if q.kind is not None:
        clauses.append("kind = ?")
        params.append(q.kind)
    if q.since is not None:
        clauses.append("created_us >= ?")
        params.append(to_micros(q.since))
    if q.until is not None:
        clauses.append("created_us < ?")
        params.append(to_micros(q.until))
    return clauses, params


class SqlDecisionLog:
    """DecisionLog on the SQL database, SQLite or PostgreSQL (``decisions`` table).

    With a ``cipher``, each record is stored sealed with its customer's key (kept wrapped in
    ``customer_keys``); ``shred`` destroys that key, and the customer's records become
    unreadable while their rows, columns and hashes stay.
    """

    def __init__(self, db: DatabaseTarget, *, cipher: RecordCipher | None = None) -> None:
        self._db, self._owns_db = attach(db)
        self._seal = CustomerSeal(cipher)

    def append(self, record: DecisionRecordV1) -> DecisionRecordV1:
        columns = columns_of(record)
        with self._db.write() as conn:
            if record.idempotency_key is not None:
                existing = self._by_key(conn, record.customer_id, record.idempotency_key)
                if existing is not None:
                    raise IdempotencyConflict(existing)
            body = self._seal.seal(
                conn, record.customer_id, record.model_dump_json(), record.decision_id
            )
            try:
                conn.execute(_INSERT, (*astuple(columns), body))
            except IntegrityError:
                raise DuplicateDecisionError(
                    f"decision {record.decision_id!r} is already in the log"
                ) from None
            conn.executemany(_INSERT_VERDICT, [astuple(row) for row in verdict_rows(record)])
            append_entry(conn, "decisions", record.decision_id, columns.created_us)
        return record

    def get(self, decision_id: str) -> DecisionRecordV1 | None:
        conn = self._db.connection()
        row = conn.execute(
            "SELECT decision_id, customer_id, record FROM decisions WHERE decision_id = ?",
            (decision_id,),
        ).fetchone()
        return None if row is None else self._open(conn, *row)

    def find_by_idempotency_key(self, customer_id: str, key: str) -> DecisionRecordV1 | None:
        return self._by_key(self._db.connection(), customer_id, key)

    def query(
        self, q: DecisionQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[LoggedDecision]:
        check_limit(limit)
        clauses, params = _where(q)
        fingerprint = q.fingerprint()
        if cursor is not None:
            after = decode_cursor(cursor, _DecisionCursor)
            if after.q != fingerprint:
                raise InvalidCursor("invalid cursor: it belongs to a query with other filters")
            clauses.append("(created_us, decision_id) < (?, ?)")
            params.extend((after.t, after.id))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        conn = self._db.connection()
        rows = conn.execute(
            f"SELECT created_us, {_SUMMARY_COLUMNS}, record FROM decisions {where}"
            " ORDER BY created_us DESC, decision_id DESC LIMIT ?",
            (*params, limit + 1),
        ).fetchall()
        items = [self._logged(conn, row[1:]) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last_us, last_id = rows[limit - 1][:2]
            next_cursor = encode_cursor(_DecisionCursor(t=last_us, id=last_id, q=fingerprint))
        return Page[LoggedDecision](items=items, next_cursor=next_cursor)

    def shred(self, customer_id: str) -> int:
        with self._db.write() as conn:
            if not self._seal.destroy(conn, customer_id):
                return 0
            (sealed,) = conn.execute(
                "SELECT COUNT(*) FROM decisions WHERE customer_id = ? AND record LIKE ?",
                (customer_id, f"{SEALED_PREFIX}%"),
            ).fetchone()
        self._db.checkpoint()  # no copy of the key may linger in the write-ahead log
        return int(sealed)

    def close(self) -> None:
        if self._owns_db:
            self._db.close()

    def _open(
        self, conn: Connection, decision_id: str, customer_id: str, body: str
    ) -> DecisionRecordV1:
        try:
            return DecisionRecordV1.model_validate_json(
                self._seal.open(conn, customer_id, body, decision_id)
            )
        except KeyDestroyed as exc:
            raise RecordErased(decision_id, str(exc)) from None

    def _logged(self, conn: Connection, row: tuple[Any, ...]) -> LoggedDecision:
        decision_id, customer_id, created, kind, action, mode, safe, approval, body = row
        try:
            return self._open(conn, decision_id, customer_id, body)
        except RecordErased:
            return ErasedDecision(
                decision_id=decision_id,
                customer_id=customer_id,
                created_at=datetime.fromisoformat(created),
                kind=kind,
                action_type=ActionType(action),
                mode=mode,
                safe_default=bool(safe),
                approval_required=bool(approval),
            )

    def _by_key(self, conn: Connection, customer_id: str, key: str) -> DecisionRecordV1 | None:
        row = conn.execute(
            "SELECT decision_id, customer_id, record FROM decisions"
            " WHERE customer_id = ? AND idempotency_key = ?",
            (customer_id, key),
        ).fetchone()
        return None if row is None else self._open(conn, *row)
