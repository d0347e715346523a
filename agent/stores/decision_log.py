"""The decision log: one append-only row per decision, searchable, idempotent per customer key.

Rows are never updated or deleted (SQLite triggers refuse it); reviews and outcomes are new rows
elsewhere that point at a decision. The columns history queries need are derived at insert time
(:mod:`agent.stores.decision_columns`), so no query reads the JSON body to filter.
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, fields
from pathlib import Path
from typing import Protocol

from agent.record import DecisionRecordV1
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
from agent.stores.sqlite import SqliteDatabase, to_micros

__all__ = [
    "DecisionLog",
    "DecisionQuery",
    "DuplicateDecisionError",
    "IdempotencyConflict",
    "SqliteDecisionLog",
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


class DecisionLog(Protocol):
    """Append-only decision records. Blocking and safe to call from many threads."""

    def append(self, record: DecisionRecordV1) -> DecisionRecordV1:
        """Insert the record; raises IdempotencyConflict when its key was used before."""
        ...

    def get(self, decision_id: str) -> DecisionRecordV1 | None: ...

    def find_by_idempotency_key(self, customer_id: str, key: str) -> DecisionRecordV1 | None: ...

    def query(
        self, q: DecisionQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[DecisionRecordV1]:
        """Newest first, in pages that stay stable while new decisions arrive."""
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


class SqliteDecisionLog:
    """DecisionLog on a SQLite file (``decisions`` table)."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteDatabase(path)

    def append(self, record: DecisionRecordV1) -> DecisionRecordV1:
        columns = columns_of(record)
        with self._db.write() as conn:
            if record.idempotency_key is not None:
                existing = self._by_key(conn, record.customer_id, record.idempotency_key)
                if existing is not None:
                    raise IdempotencyConflict(existing)
            try:
                conn.execute(_INSERT, (*astuple(columns), record.model_dump_json()))
            except sqlite3.IntegrityError:
                raise DuplicateDecisionError(
                    f"decision {record.decision_id!r} is already in the log"
                ) from None
            conn.executemany(_INSERT_VERDICT, [astuple(row) for row in verdict_rows(record)])
        return record

    def get(self, decision_id: str) -> DecisionRecordV1 | None:
        row = (
            self._db.connection()
            .execute("SELECT record FROM decisions WHERE decision_id = ?", (decision_id,))
            .fetchone()
        )
        return None if row is None else DecisionRecordV1.model_validate_json(row[0])

    def find_by_idempotency_key(self, customer_id: str, key: str) -> DecisionRecordV1 | None:
        return self._by_key(self._db.connection(), customer_id, key)

    def query(
        self, q: DecisionQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[DecisionRecordV1]:
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
        rows = (
            self._db.connection()
            .execute(
                f"SELECT created_us, decision_id, record FROM decisions {where}"
                " ORDER BY created_us DESC, decision_id DESC LIMIT ?",
                (*params, limit + 1),
            )
            .fetchall()
        )
        items = [DecisionRecordV1.model_validate_json(body) for (_, _, body) in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last_us, last_id, _ = rows[limit - 1]
            next_cursor = encode_cursor(_DecisionCursor(t=last_us, id=last_id, q=fingerprint))
        return Page[DecisionRecordV1](items=items, next_cursor=next_cursor)

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _by_key(conn: sqlite3.Connection, customer_id: str, key: str) -> DecisionRecordV1 | None:
        row = conn.execute(
            "SELECT record FROM decisions WHERE customer_id = ? AND idempotency_key = ?",
            (customer_id, key),
        ).fetchone()
        return None if row is None else DecisionRecordV1.model_validate_json(row[0])
