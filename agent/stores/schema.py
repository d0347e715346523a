"""The SQLite schema of nextbest.db, as ordered migrations tracked by ``PRAGMA user_version``.

Both stores share the file, so the schema is one list: migration N brings the file from
version N-1 to N. Opening a file runs the missing migrations in one write transaction; a file
written by newer code is refused rather than misread.
"""

from __future__ import annotations

import sqlite3

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SchemaTooNewError", "migrate"]


class SchemaTooNewError(RuntimeError):
    """The database file was written by a newer version of nextbest."""


_V1: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS profiles (
        customer_id TEXT PRIMARY KEY,
        body        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS events (
        customer_id TEXT NOT NULL REFERENCES profiles (customer_id),
        event_id    TEXT NOT NULL,
        ts_us       INTEGER NOT NULL,
        type        TEXT NOT NULL,
        body        TEXT NOT NULL,
        PRIMARY KEY (customer_id, event_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS events_by_time ON events (customer_id, ts_us, event_id)",
    """
    CREATE TABLE IF NOT EXISTS decisions (
        decision_id        TEXT PRIMARY KEY,
        customer_id        TEXT NOT NULL,
        created_at         TEXT NOT NULL,
        created_us         INTEGER NOT NULL,
        kind               TEXT NOT NULL,
        action_type        TEXT NOT NULL,
        mode               TEXT NOT NULL,
        idempotency_key    TEXT,
        outcome            TEXT NOT NULL,
        approval_required  INTEGER NOT NULL,
        contacts_customer  INTEGER NOT NULL,
        channel            TEXT,
        purpose            TEXT NOT NULL,
        effective_us       INTEGER NOT NULL,
        incentive_kind     TEXT,
        incentive_value    TEXT,
        incentive_currency TEXT,
        record             TEXT NOT NULL
    )
    """,
    """
    CREATE UNIQUE INDEX IF NOT EXISTS decisions_idempotency
        ON decisions (customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL
    """,
    "CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (created_us, decision_id)",
    """
    CREATE INDEX IF NOT EXISTS decisions_by_customer
        ON decisions (customer_id, created_us, decision_id)
    """,
    """
    CREATE INDEX IF NOT EXISTS decisions_by_customer_effective
        ON decisions (customer_id, effective_us)
    """,
    """
    CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
    BEGIN
        SELECT RAISE(ABORT, 'decisions are append-only: UPDATE is not allowed');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
    BEGIN
        SELECT RAISE(ABORT, 'decisions are append-only: DELETE is not allowed');
    END
    """,
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
"""Migration i (0-based) brings the file to version i + 1; append, never edit."""

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to SCHEMA_VERSION (idempotent, safe when two processes open it at once)."""
    conn.execute("BEGIN IMMEDIATE")  # serialize concurrent openers before reading the version
    try:
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if current > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {current} is newer than this code ({SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return SCHEMA_VERSION
